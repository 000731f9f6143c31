"""The embedded chat model through llama.cpp (`llama-cpp-python`): the 4-bit GGUF as it ships.

On a 2-core CPU the Q4_K_M GGUF decodes at about twice the speed of the same weights
dequantized to bf16 in transformers, loads in about a second, and keeps ~0.6 GB resident
(docs/benchmarks/llamacpp.md). With `quant` set (the default for the embedded model, settings
`llama_quant`), the shipped LoRA is merged into the weights and the model re-quantized once to
IQ4_NL (`gguf_files.merged_gguf`), which llama.cpp repacks for its AVX2 kernels: 1.6x the
decode and 1.4x the prompt speed per CPU-second of the shipped, mostly-Q5_0 file. Otherwise the
peft LoRA is applied at run time as a GGUF LoRA adapter, converted once by
`gguf_files.adapter_gguf` (or `python -m finetune.export --format gguf-lora`).

Greedy replies use prompt-lookup drafts (`lookup_tokens`, `_greedy_lookup`): replies copy
lines from the draft in the prompt, so several tokens are checked per model call.

Prompt cache: one `Llama` instance serves every session, and its KV cache keeps the tokens
of the previous prompt. A new prompt re-uses the longest common token prefix, so the fixed
rules at the start of the system prompt (`assistant.prompting.RULES`) are computed once;
only the facts, draft and message of a turn are prefilled. A small LRU of saved states
(`state_slots`) keeps the prefix of other prompt families (e.g. the understanding call)
warm too. The prefill runs in chunks, so a stop request or the timeout ends it promptly.

Threads: `n_threads=0` means the physical cores, lowered to half of them for a call when
the 1-minute load average says the cores are already oversubscribed; a fixed `n_threads`
is used as given. llama.cpp's threads meet at a barrier after every operation, so a thread
that loses its core stalls its partner: on the shared 2-core dev machine (load 17-22) two
spinning threads decoded 0.6 tok/s, two passive threads 5-6, one thread 8. OpenMP's wait
policy is therefore set to PASSIVE (unless the environment sets it) before llama.cpp loads.
Prompts (batches) use `n_threads`; generating one token at a time uses `decode_threads`
(llama.cpp's `n_threads` vs `n_threads_batch`). A token of the 0.5B model is ~25 tiny
operations per layer, each ending at that barrier, and a passive thread sleeps and wakes at
every one of them, so on 2 cores one decode thread beats two (`decode_threads=0`: one
thread on machines with at most 2 physical cores, else `n_threads`; docs/benchmarks/llamacpp.md).

Greedy decoding (temperature 0) matches `TransformersGenerator`. `generate_json` constrains
decoding with a GBNF grammar built from a JSON schema by llama.cpp (`LlamaGrammar`), in the same
greedy loop: the grammar checks each step's argmax and masks the vocabulary only when it refuses
it (`_GrammarPicker`; `grammar_loop=False` uses llama-cpp-python's sampler chain instead).
Loads once, lazily, under a lock; generation is serialized by a second lock.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterator

from assistant.generators import GenerationError

TIMEOUT_MESSAGE = "답변 생성이 너무 오래 걸려 기본 답변으로 안내해 드려요."
PREFILL_CHUNK = 64        # tokens per prefill call: stop/timeout are checked in between
FAMILY_MIN = 32           # prompts sharing fewer leading tokens belong to different families


def physical_cores() -> int:
    """Physical cores this process may run on (hyper-threads share one core's FPUs)."""
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        allowed = set(range(os.cpu_count() or 1))
    cores, current = set(), {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if ":" not in line:
                    if current.get("processor") in allowed:
                        cores.add((current.get("physical id"), current.get("core id")))
                    current = {}
                    continue
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                current[key] = int(value) if key == "processor" else value
        if current.get("processor") in allowed:
            cores.add((current.get("physical id"), current.get("core id")))
    except OSError:
        pass
    return max(1, min(len(allowed), len(cores) or len(allowed)))


def library_available() -> bool:
    """True when `llama_cpp` is installed (checked without importing it) and built for this CPU."""
    import importlib.util

    try:
        return importlib.util.find_spec("llama_cpp") is not None and not cpu_mismatch()
    except (ImportError, ValueError):
        return False


CPU_MARKER = ".jangbogi-llamacpp-cpu"    # written by scripts/setup.sh next to a native build
_CPUINFO_HEADS = frozenset({"flags", "Features", ":"})


def cpu_mismatch(marker: Path | None = None, cpuinfo: str = "/proc/cpuinfo") -> str:
    """'' when the installed llama.cpp may run here; else which CPU features its build (for
    the CPU setup ran on, `-march=native`) used that this CPU lacks. A wheel without the
    marker (a generic build, or installed by hand) is trusted.

    >>> import tempfile; d = Path(tempfile.mkdtemp())
    >>> _ = (d / "m").write_text("avx2 avx512f flags\t\t: fma"), (d / "c").write_text("flags\t\t: fma avx2 sse3")
    >>> cpu_mismatch(d / "m", str(d / "c")), cpu_mismatch(d / "none", str(d / "c"))
    ('avx512f', '')
    """
    import sys

    marker = marker or Path(sys.prefix) / CPU_MARKER
    try:
        # setup.sh writes the cpuinfo line's words sorted, its "flags<TAB>:" head among them
        built = {w for w in marker.read_text(encoding="utf-8").split() if w not in _CPUINFO_HEADS}
    except OSError:
        return ""
    here: set[str] = set()
    try:
        with open(cpuinfo, encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    here = set(value.split())
                    break
    except OSError:
        return ""
    return " ".join(sorted(built - here)) if here else ""


class LlamaCppGenerator:
    is_template = False

    def __init__(self, model: str, cache_dir: Path | str = "~/.cache/jangbogi", adapter_path: Path | None = None,
                 n_threads: int = 0, n_ctx: int = 4096, timeout_s: float = 90.0,
                 status: Callable[[str], None] | None = None, temperature: float = 0.0,
                 state_slots: int = 2, warm_system_prompt: str | None = None, lookup_tokens: int = 24,
                 quant: str = "", decode_threads: int = 0, grammar_loop: bool = True) -> None:
        self.model_name = model
        self.cache_dir = Path(cache_dir).expanduser()
        self.adapter_path = adapter_path
        self.auto_threads = not n_threads
        cores = physical_cores()
        self.n_threads = n_threads or cores
        self.decode_threads = decode_threads or decode_threads_for(cores, self.n_threads)
        self._threads_now = self._thread_pair(self.n_threads)
        self.n_ctx = n_ctx
        self.timeout_s = timeout_s
        self.status = status
        self.temperature = temperature
        self.state_slots = state_slots
        self.warm_system_prompt = warm_system_prompt
        self.lookup_tokens = lookup_tokens
        self.grammar_loop = grammar_loop
        self.quant = quant
        self.name = (f"llamacpp:{model}" + (f"+{Path(adapter_path).name}" if adapter_path else "")
                     + (f" ({quant}, merged)" if quant else ""))
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._llm = None
        self._template = None
        self._eos_id: int | None = None
        self._grammars: dict[str, object] = {}
        self._states: OrderedDict[tuple, tuple] = OrderedDict()   # family -> (tokens, LlamaState)
        self.load_seconds: float | None = None
        self.gguf_path: Path | None = None
        self.adapter_gguf: Path | None = None
        self.run_gguf: Path | None = None      # the file llama.cpp runs (merged when `quant` is set)
        self.last: dict = {}          # counters of the last call: prompt/cached/generated tokens
        self._failed: tuple[float, GenerationError] | None = None

    RETRY_AFTER_S = 300.0

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        with self._load_lock:
            if self._llm is not None:
                return
            if self._failed and time.monotonic() - self._failed[0] < self.RETRY_AFTER_S:
                raise self._failed[1]
            t0 = time.perf_counter()
            if self.status:
                self.status(f"언어 모델({self.model_name})을 불러오는 중이에요. 처음 한 번만 기다려 주세요…")
            try:
                self._load()
            except GenerationError as exc:
                self._failed = (time.monotonic(), exc)
                raise
            except Exception as exc:  # library missing, bad file, adapter mismatch...
                error = GenerationError(
                    f"could not load {self.model_name!r} with llama.cpp: {type(exc).__name__}: {exc}",
                    "언어 모델을 불러오지 못해 기본 답변으로 안내해 드려요. "
                    "`python -m assistant.models prepare`로 모델을 준비할 수 있어요.")
                self._failed = (time.monotonic(), error)
                raise error from exc
            self.load_seconds = time.perf_counter() - t0

    def _load(self) -> None:
        from assistant.generators.gguf_files import adapter_gguf, model_gguf

        missing = cpu_mismatch()   # before anything imports llama_cpp (the merge's quantizer does)
        if missing:
            raise GenerationError(f"llama-cpp-python was built for another CPU (this one lacks: {missing})",
                                  "이 컴퓨터의 CPU에 맞지 않게 만들어진 llama.cpp라 기본 답변으로 안내해 드려요. "
                                  "`scripts/setup.sh`를 이 컴퓨터에서 다시 실행해 주세요.")
        self.gguf_path = model_gguf(self.model_name, self.cache_dir)
        kwargs = {}
        model_path = self.gguf_path
        if self.quant:          # the adapter merged in, re-quantized to a repacked type
            from assistant.generators.gguf_files import merged_gguf

            model_path = merged_gguf(self.gguf_path, self.adapter_path, self.cache_dir, self.quant)
        elif self.adapter_path:
            self.adapter_gguf = adapter_gguf(self.adapter_path, self.gguf_path, self.cache_dir)
            kwargs["lora_path"] = str(self.adapter_gguf)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # read by libgomp when llama.cpp loads
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise GenerationError(f"llama-cpp-python is not installed: {exc}",
                                  "llama.cpp 라이브러리가 없어 기본 답변으로 안내해 드려요. "
                                  "`scripts/setup.sh`가 설치하거나 JANGBOGI_BACKEND=transformers로 바꿀 수 있어요.") from exc
        self.run_gguf = model_path
        llm = Llama(model_path=str(model_path), n_ctx=self.n_ctx, n_batch=512,
                    n_threads=self._threads_now[0], n_threads_batch=self._threads_now[1],
                    verbose=False, **kwargs)
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise GenerationError(f"{self.gguf_path} has no chat template")
        eos_id = llm.token_eos()
        eos = llm._model.token_get_text(eos_id) if eos_id >= 0 else ""
        bos_id = llm.token_bos()
        bos = llm._model.token_get_text(bos_id) if bos_id >= 0 else ""
        self._template = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        self._eos_id = eos_id
        self._llm = llm
        if self.warm_system_prompt:
            self._warm(self.warm_system_prompt)

    def _warm(self, system_prompt: str) -> None:
        """Prefill the fixed opening of every answer prompt at load time, so the first turn
        already finds the rules in the KV cache (part of `load_seconds`)."""
        text = self._template(messages=[{"role": "system", "content": system_prompt}]).prompt
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        self._llm.reset()
        self._llm.eval(tokens[: max(0, len(tokens) - 8)])   # the template's closing tokens differ

    def close(self) -> None:
        with self._gen_lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
            self._states.clear()

    # ------------------------------------------------------------------ prompts
    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The chat template applied to `messages` (with the generation prompt), as tokens."""
        self.load()
        text = self._template(messages=messages).prompt
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _prefill(self, tokens: list[int], stop: threading.Event, deadline: float) -> int:
        """Bring the KV cache to `tokens[:-1]`, re-using the longest cached prefix (the live
        cache or a saved state); returns how many prompt tokens were already cached.

        A prompt family is identified by its first `FAMILY_MIN` tokens (all answer prompts
        open with the same rules). When the new prompt belongs to another family (e.g. an
        understanding call after an answer), the live state is saved under its family first,
        so that the next prompt of that family finds its prefix again (LRU of `state_slots`)."""
        llm = self._llm
        live_tokens = [int(t) for t in llm.input_ids[: llm.n_tokens]]
        live = _common_prefix(live_tokens, tokens)
        if self.state_slots > 0 and len(live_tokens) >= FAMILY_MIN and live < FAMILY_MIN:
            self._save_live(live_tokens)
        best = live
        family = tuple(tokens[:FAMILY_MIN])
        saved = self._states.get(family)
        if saved is not None and _common_prefix(saved[0], tokens) > live:
            best = _common_prefix(saved[0], tokens)
            llm.load_state(saved[1])
            self._states.move_to_end(family)
        cached = min(best, len(tokens) - 1)
        llm.n_tokens = cached
        target = len(tokens) - 1           # create_completion evaluates the last token itself
        pos = cached
        while pos < target:
            if stop.is_set():
                return cached
            if time.monotonic() > deadline:
                raise GenerationError(f"prefill exceeded {self.timeout_s}s", TIMEOUT_MESSAGE)
            end = min(target, pos + PREFILL_CHUNK)
            llm.eval(tokens[pos:end])
            pos = end
        return cached

    def _save_live(self, live_tokens: list[int]) -> None:
        family = tuple(live_tokens[:FAMILY_MIN])
        try:
            self._states[family] = (tuple(live_tokens), self._llm.save_state())
        except Exception:  # a failed save only costs a later prefill
            return
        self._states.move_to_end(family)
        while len(self._states) > self.state_slots:
            self._states.popitem(last=False)

    def _thread_pair(self, n: int) -> tuple[int, int]:
        """(decode threads, prompt threads) when `n` threads are free."""
        return min(self.decode_threads, n), n

    def _set_threads(self) -> None:
        n = threads_for_load(self.n_threads, _load1()) if self.auto_threads else self.n_threads
        now = self._thread_pair(n)
        if now != self._threads_now:
            self._llm._ctx.set_n_threads(*now)
            self._threads_now = now

    # ------------------------------------------------------------------ generation
    def _completion(self, messages: list[dict], max_new_tokens: int, stop: threading.Event | None,
                    grammar=None) -> Iterator[str]:
        self.load()
        stop = stop if isinstance(stop, threading.Event) else threading.Event()
        deadline = time.monotonic() + self.timeout_s
        with self._gen_lock:
            t0 = time.perf_counter()
            self._set_threads()
            tokens = self.prompt_tokens(messages)
            if len(tokens) + max_new_tokens > self.n_ctx:
                raise GenerationError(f"prompt of {len(tokens)} tokens does not fit n_ctx={self.n_ctx}")
            cached = self._prefill(tokens, stop, deadline)
            self.last = {"prompt_tokens": len(tokens), "cached_tokens": cached, "generated_tokens": 0,
                         "prefill_s": time.perf_counter() - t0, "threads": list(self._threads_now)}
            if stop.is_set():
                return
            own_loop = self.grammar_loop if grammar is not None else self.lookup_tokens > 0
            if not self.temperature and own_loop:
                yield from self._greedy_lookup(tokens, max_new_tokens, stop, deadline, t0, grammar)
                return
            it = self._llm.create_completion(
                tokens, max_tokens=max_new_tokens, temperature=self.temperature, top_k=1 if not self.temperature else 40,
                repeat_penalty=1.0, stream=True, grammar=grammar)
            n = 0
            try:
                for chunk in it:
                    n += 1
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
                    if stop.is_set():
                        break
                    if time.monotonic() > deadline:
                        raise GenerationError(f"generation exceeded {self.timeout_s}s", TIMEOUT_MESSAGE)
            except GenerationError:
                raise
            except Exception as exc:
                raise GenerationError(f"llama.cpp generation failed: {exc!r}") from exc
            finally:
                it.close()
                self.last["generated_tokens"] = n
                self.last["total_s"] = time.perf_counter() - t0

    def _greedy_lookup(self, tokens: list[int], max_new_tokens: int, stop: threading.Event,
                       deadline: float, t0: float, grammar=None) -> Iterator[str]:
        """Greedy decoding with prompt-lookup drafts (speculative decoding without a draft
        model): each step evaluates the pending token plus up to `lookup_tokens` tokens copied
        from where the context last continued the same n-gram, in one batch, and keeps the
        draft tokens that greedy decoding itself predicts, plus one more. The text is what
        token-by-token greedy decoding gives (up to float rounding between batch sizes); a turn
        that copies lines from the draft costs a few batches instead of one decode per token.

        With a `grammar` (`generate_json`) there are no drafts and each pick is the greedy token
        the grammar allows (`_GrammarPicker`), as in llama.cpp's grammar-then-greedy sampler
        chain, so the object still always conforms; only the whole vocabulary is masked when
        the argmax is refused. On 2 cores this is 1.5x faster per token than the chain, same
        objects (`scripts/nlu_call_latency.py`, docs/benchmarks/nlu.md). No drafts under a
        grammar: an exploratory try found no gain (JSON keys are rarely in the context).
        Expects the KV cache to hold `tokens[:-1]` (after `_prefill`)."""
        import codecs

        import llama_cpp
        import numpy as np

        llm, ctx, batch = self._llm, self._llm._ctx, self._llm._batch
        vocab, n_vocab = llm._model.vocab, llm.n_vocab()
        history = list(tokens)
        pending = tokens[-1]
        picker = _GrammarPicker(vocab, grammar, n_vocab) if grammar is not None else None
        out: list[int] = []
        raw = b""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        steps = drafted = accepted_drafts = 0
        try:
            while len(out) < max_new_tokens:
                n_past = llm.n_tokens
                room = min(self.lookup_tokens, max_new_tokens - len(out) - 1, self.n_ctx - n_past - 1)
                draft = lookup_draft(history, n_pred=room) if room > 0 and picker is None else []
                seq = [pending] + draft
                ctx.kv_cache_seq_rm(-1, n_past, -1)    # a fully cached prompt leaves later positions behind
                batch.set_batch(seq, n_past=n_past, logits_all=True)
                ctx.decode(batch)
                logits = np.ctypeslib.as_array(ctx.get_logits(), shape=(len(seq), n_vocab))
                if picker is None:
                    preds = [int(t) for t in logits.argmax(axis=1)]
                    new = [preds[0]]
                    for i, t in enumerate(draft):
                        if t != preds[i]:
                            break
                        new.append(preds[i + 1])
                else:   # under a grammar: one token per step, no drafts
                    new = [picker.pick(logits[0])]
                keep = n_past + len(new)          # pending + the accepted draft tokens are in the KV cache
                ctx.kv_cache_seq_rm(-1, keep, -1)
                llm.input_ids[n_past:keep] = seq[: len(new)]
                llm.n_tokens = keep
                steps, drafted, accepted_drafts = steps + 1, drafted + len(draft), accepted_drafts + len(new) - 1
                done = False
                emitted = []
                for t in new:
                    if llama_cpp.llama_vocab_is_eog(vocab, t) or len(out) >= max_new_tokens:
                        done = True
                        break
                    out.append(t)
                    emitted.append(t)
                history += emitted
                if emitted:
                    full = llm.detokenize(out)
                    text = decoder.decode(full[len(raw):])
                    raw = full
                    if text:
                        yield text
                if done or stop.is_set():
                    break
                if time.monotonic() > deadline:
                    raise GenerationError(f"generation exceeded {self.timeout_s}s", TIMEOUT_MESSAGE)
                pending = new[-1]
        except GenerationError:
            raise
        except Exception as exc:
            raise GenerationError(f"llama.cpp generation failed: {exc!r}") from exc
        finally:
            if picker is not None:
                picker.close()
                self.last["grammar_full_masks"] = picker.full_masks
            self.last["generated_tokens"] = len(out)
            self.last["total_s"] = time.perf_counter() - t0
            self.last.update({"decode_steps": steps, "drafted": drafted, "accepted_drafts": accepted_drafts})

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        """Yield text deltas of the assistant reply to `messages` (greedy by default)."""
        yield from self._completion(messages, max_new_tokens, stop)

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 256,
                      stop: threading.Event | None = None) -> dict:
        """Decode an object that conforms to the JSON `schema` (llama.cpp GBNF grammar)."""
        self.load()
        key = json.dumps(schema, ensure_ascii=False)
        grammar = self._grammars.get(key)
        if grammar is None:
            from llama_cpp import LlamaGrammar

            grammar = LlamaGrammar.from_string(schema_gbnf(schema), verbose=False)
            self._grammars[key] = grammar
        text = "".join(self._completion(messages, max_new_tokens, stop, grammar=grammar))
        return parse_json_object(text)

    # ------------------------------------------------------------------ tests / tools
    def next_token_logits(self, messages: list[dict]):
        """Logits (numpy, n_vocab) for the first reply token; evaluates the prompt from scratch."""
        import numpy as np

        self.load()
        with self._gen_lock:
            tokens = self.prompt_tokens(messages)
            llm = self._llm
            llm.reset()
            llm.eval(tokens)
            n_vocab = llm.n_vocab()
            out = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,)).copy()
            llm.reset()
            return out


def schema_gbnf(schema: dict) -> str:
    """The GBNF grammar of a JSON schema (llama.cpp's converter).

    The object's properties may be written only in the schema's order (required ones first),
    so that order must be the order the model learned: a schema serialized with sorted keys
    made the NLU adapter, which writes intent, item, keywords, allergens, choose between
    "allergens" and "item" right after the intent, and once it wrote "item" the grammar no
    longer allowed "allergens" (docs/benchmarks/nlu.md)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(json.dumps(schema, ensure_ascii=False))
    except Exception as exc:
        raise GenerationError(f"schema not supported by llama.cpp's grammar converter: {exc}") from exc


def _load1() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def threads_for_load(cores: int, load1: float | None) -> int:
    """Threads for one call: all physical cores, or half of them when the 1-minute load
    average exceeds 1.5x the cores (other processes already want every core).

    >>> threads_for_load(2, 0.4), threads_for_load(2, 2.5), threads_for_load(2, 9.0), threads_for_load(8, 20.0)
    (2, 2, 1, 4)
    """
    if load1 is None or load1 <= 1.5 * cores:
        return cores
    return max(1, cores // 2)


def decode_threads_for(cores: int, n_threads: int) -> int:
    """Threads for generating one token at a time when not set: 1 on a machine with at most 2
    physical cores (the per-operation barrier costs more than the second core gives back for a
    small model; measured on 2 cores only), else the prompt threads.

    >>> decode_threads_for(2, 2), decode_threads_for(1, 1), decode_threads_for(8, 8), decode_threads_for(8, 4)
    (1, 1, 8, 4)
    """
    return 1 if cores <= 2 else n_threads


class _GrammarPicker:
    """Greedy picks under a GBNF grammar, one logits row at a time: llama.cpp's grammar sampler
    (`llama_sampler_init_grammar`) is asked first about the row's argmax alone and, only when it
    rejects it, masks the whole vocabulary (the check llama.cpp's common sampler makes too).
    Each pick is accepted into the grammar state, so the next row is read after it."""

    def __init__(self, vocab, grammar, n_vocab: int) -> None:
        import ctypes

        import llama_cpp
        import numpy as np

        self._lib, self._ctypes, self._np = llama_cpp, ctypes, np
        self._smpl = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode("utf-8"),
                                                          grammar._root.encode("utf-8"))
        if not self._smpl:
            raise GenerationError("llama.cpp could not build the JSON grammar sampler")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_arr = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self._full = (llama_cpp.llama_token_data * n_vocab)()
        self._full_np = np.ctypeslib.as_array(self._full)      # fields id, logit, p over the same memory
        self._full_arr = llama_cpp.llama_token_data_array(data=self._full, size=n_vocab, selected=-1, sorted=False)
        self._ids = np.arange(n_vocab, dtype=np.int32)
        self._eog = lambda t: bool(llama_cpp.llama_vocab_is_eog(vocab, t))
        self.full_masks = 0

    def pick(self, row) -> int:
        lib, byref, np = self._lib, self._ctypes.byref, self._np
        t = int(row.argmax())
        self._one[0].id, self._one[0].logit, self._one[0].p = t, float(row[t]), 0.0
        self._one_arr.size, self._one_arr.selected = 1, -1
        lib.llama_sampler_apply(self._smpl, byref(self._one_arr))
        if not np.isfinite(self._one[0].logit):
            self.full_masks += 1
            self._full_np["id"] = self._ids
            self._full_np["logit"] = row
            self._full_np["p"] = 0.0
            self._full_arr.size, self._full_arr.selected, self._full_arr.sorted = len(row), -1, False
            lib.llama_sampler_apply(self._smpl, byref(self._full_arr))
            allowed = self._full_np["logit"]
            if not np.isfinite(allowed).any():
                raise GenerationError("the JSON grammar allows no next token")
            t = int(self._full_np["id"][int(allowed.argmax())])
        if not self._eog(t):
            lib.llama_sampler_accept(self._smpl, t)
        return t

    def close(self) -> None:
        if self._smpl:
            self._lib.llama_sampler_free(self._smpl)
            self._smpl = None


def lookup_draft(history, max_ngram: int = 3, n_pred: int = 10, min_ngram: int = 1) -> list[int]:
    """Prompt-lookup draft: the tokens that followed the most recent earlier occurrence of the
    last `max_ngram`..`min_ngram` tokens of `history` (longest n-gram first), at most `n_pred`.

    The replies copy names, prices and whole lines from the draft at the end of the prompt, so
    the latest occurrence is the one to follow (llama-cpp-python's `LlamaPromptLookupDecoding`
    takes the earliest, which here is usually a product line in another format).

    >>> lookup_draft([5, 1, 2, 3, 9, 1, 2, 3, 4, 7, 1, 2], max_ngram=2, n_pred=3)
    [3, 4, 7]
    >>> lookup_draft([1, 2, 3], max_ngram=2, n_pred=3)
    []
    """
    import numpy as np

    ids = np.asarray(history, dtype=np.int64)
    n = len(ids)
    for size in range(min(max_ngram, n - 1), min_ngram - 1, -1):
        windows = np.lib.stride_tricks.sliding_window_view(ids[: n - 1], size)
        hits = np.flatnonzero((windows == ids[n - size:]).all(axis=1))
        for start in hits[::-1] + size:
            if start < n:
                return [int(t) for t in ids[start: start + n_pred]]
    return []


def _common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if int(x) != int(y):
            break
        n += 1
    return n


def parse_json_object(text: str) -> dict:
    """The JSON object a constrained decode produced; GenerationError when it is cut short."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GenerationError(f"structured output is not complete JSON ({exc}): {text[:200]!r}") from exc
    if not isinstance(value, dict):
        raise GenerationError(f"structured output is not a JSON object: {text[:200]!r}")
    return value
