"""llama.cpp backend: backend choice, GGUF LoRA conversion, streaming/stop/timeout, prompt
cache, JSON-schema decoding, and logits against the peft/transformers model.

Conversion tests need only numpy/safetensors/gguf and the SmolLM2 GGUF shipped in its wheel;
generation tests need `llama_cpp` (built by scripts/setup.sh) and skip without it.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.generators import GenerationError, TemplateGenerator, make_generator, resolve_backend
from assistant.generators.llamacpp import parse_json_object, physical_cores
from assistant.settings import DEFAULT_ADAPTER, Settings

HAS_LLAMA = importlib.util.find_spec("llama_cpp") is not None
needs_llama = pytest.mark.skipif(not HAS_LLAMA, reason="llama_cpp not installed (scripts/setup.sh builds it)")


def _smollm2_gguf(cache_dir: Path) -> Path:
    from assistant.generators.gguf_files import model_gguf

    try:
        return model_gguf("smollm2", cache_dir)
    except GenerationError as exc:
        pytest.skip(f"SmolLM2 GGUF unavailable: {exc}")


# ---------------------------------------------------------------- choice of backend
@pytest.mark.parametrize("settings,cuda,ready,expected", [
    (dict(), False, True, "llamacpp"),
    (dict(), False, False, "transformers"),           # no wheel / no GGUF: transformers
    (dict(), True, True, "transformers"),             # CUDA: nf4 + peft stays
    (dict(quantization="nf4"), False, True, "transformers"),
    (dict(device="cuda"), False, True, "transformers"),
    (dict(llm_endpoint="http://gpu:8000/v1"), False, True, "openai"),
    (dict(backend="transformers"), False, True, "transformers"),
    (dict(backend="llamacpp"), True, False, "llamacpp"),
])
def test_resolve_backend(settings, cuda, ready, expected):
    got = resolve_backend(Settings(**settings), cuda=lambda: cuda, llamacpp_ready=lambda m, c: ready)
    assert got == expected


def test_factory_builds_llamacpp_without_loading(tmp_path):
    gen = make_generator(Settings(backend="llamacpp", adapter="none", n_threads=3, cache_dir=tmp_path))
    assert gen.name.startswith("llamacpp:qwen0.5b") and not gen.loaded and gen.n_threads == 3
    assert make_generator(Settings(backend="llamacpp")).adapter_path == (
        DEFAULT_ADAPTER if (DEFAULT_ADAPTER / "adapter_config.json").exists() else None)
    assert isinstance(make_generator(Settings(no_llm=True, backend="llamacpp")), TemplateGenerator)


def test_decode_threads_default_to_one_on_two_cores(tmp_path):
    base = dict(backend="llamacpp", adapter="none", n_threads=2, cache_dir=tmp_path)
    auto = make_generator(Settings(**base))
    assert auto.decode_threads == (1 if physical_cores() <= 2 else 2)
    assert make_generator(Settings(**base, llama_decode_threads=2)).decode_threads == 2
    with pytest.raises(ValueError):
        Settings(llama_decode_threads=-1)


def test_physical_cores_is_sane():
    import os

    assert 1 <= physical_cores() <= (os.cpu_count() or 1)


def test_missing_gguf_is_a_generation_error(tmp_path):
    from assistant.generators.llamacpp import LlamaCppGenerator

    gen = LlamaCppGenerator(str(tmp_path / "nope.gguf"), cache_dir=tmp_path)
    with pytest.raises(GenerationError) as err:
        list(gen.stream([{"role": "user", "content": "hi"}]))
    assert "GGUF" in err.value.user_message
    with pytest.raises(GenerationError):      # remembered: no second load attempt per turn
        gen.load()


def test_parse_json_object():
    assert parse_json_object('{"intent": "search"}') == {"intent": "search"}
    with pytest.raises(GenerationError):
        parse_json_object('{"intent": "sea')        # cut by max_new_tokens
    with pytest.raises(GenerationError):
        parse_json_object("[1, 2]")


def test_template_generator_has_no_structured_output():
    with pytest.raises(GenerationError):
        TemplateGenerator().generate_json([{"role": "user", "content": "x"}], {"type": "object"})


# ---------------------------------------------------------------- peft -> GGUF LoRA
def _fake_peft(folder: Path, layers: dict[str, tuple[int, int]], r: int = 4, alpha: int = 8, seed: int = 0) -> dict:
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for module, (n_in, n_out) in layers.items():
        tensors[f"base_model.model.{module}.lora_A.weight"] = rng.standard_normal((r, n_in)).astype(np.float32)
        tensors[f"base_model.model.{module}.lora_B.weight"] = rng.standard_normal((n_out, r)).astype(np.float32)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": r, "lora_alpha": alpha,
                                                            "target_modules": ["q_proj", "v_proj"]}))
    return tensors


def test_convert_lora_names_shapes_and_llama_permutation(tmp_path, cache_dir):
    from gguf import GGUFReader

    from assistant.generators.gguf_files import adapter_gguf, convert_lora

    base = _smollm2_gguf(cache_dir)      # llama architecture: 576 hidden, 9 heads, 3 kv heads
    tensors = _fake_peft(tmp_path / "lora", {"model.layers.0.self_attn.q_proj": (576, 576),
                                             "model.layers.1.self_attn.v_proj": (576, 192)})
    info = convert_lora(tmp_path / "lora", base, tmp_path / "lora.gguf")
    assert info == {"tensors": 4, "alpha": 8.0, "rank": 4, "arch": "llama"}
    reader = GGUFReader(str(tmp_path / "lora.gguf"))
    fields = {k: reader.fields[k].contents() for k in ("general.type", "adapter.type", "adapter.lora.alpha",
                                                       "general.architecture")}
    assert fields == {"general.type": "adapter", "adapter.type": "lora", "adapter.lora.alpha": 8.0,
                      "general.architecture": "llama"}
    got = {t.name: np.asarray(t.data).reshape(t.data.shape) for t in reader.tensors}
    assert sorted(got) == ["blk.0.attn_q.weight.lora_a", "blk.0.attn_q.weight.lora_b",
                           "blk.1.attn_v.weight.lora_a", "blk.1.attn_v.weight.lora_b"]
    a_q = tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]
    b_q = tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"]
    b_v = tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"]
    np.testing.assert_array_equal(got["blk.0.attn_q.weight.lora_a"], a_q)
    np.testing.assert_array_equal(got["blk.1.attn_v.weight.lora_b"], b_v)     # v: rows as they are
    # q rows follow llama.cpp's rotary layout: each head's two halves interleaved
    head = 576 // 9
    expected = b_q.reshape(9, 2, head // 2, 4).swapaxes(1, 2).reshape(576, 4)
    np.testing.assert_array_equal(got["blk.0.attn_q.weight.lora_b"], expected)
    assert not np.array_equal(expected, b_q)
    # cached by content: same file on a second call, a new one when the adapter changes
    first = adapter_gguf(tmp_path / "lora", base, tmp_path / "cache")
    assert adapter_gguf(tmp_path / "lora", base, tmp_path / "cache") == first
    _fake_peft(tmp_path / "lora", {"model.layers.0.self_attn.q_proj": (576, 576)}, seed=1)
    assert adapter_gguf(tmp_path / "lora", base, tmp_path / "cache") != first


def test_convert_lora_rejects_a_wrong_base_model(tmp_path, cache_dir):
    from assistant.generators.gguf_files import adapter_gguf, convert_lora

    base = _smollm2_gguf(cache_dir)
    _fake_peft(tmp_path / "lora", {"model.layers.0.self_attn.q_proj": (896, 896)})   # a Qwen-0.5B shape
    with pytest.raises(ValueError, match="does not fit"):
        convert_lora(tmp_path / "lora", base, tmp_path / "x.gguf")
    with pytest.raises(GenerationError):
        adapter_gguf(tmp_path / "lora", base, tmp_path / "cache")
    assert not (tmp_path / "x.gguf").exists()


def test_export_command_writes_gguf_lora(tmp_path, cache_dir):
    import subprocess
    import sys

    _smollm2_gguf(cache_dir)
    _fake_peft(tmp_path / "lora", {"model.layers.2.self_attn.k_proj": (576, 192)})
    out = tmp_path / "out.gguf"
    cmd = [sys.executable, "-m", "finetune.export", "--format", "gguf-lora", "--model", "smollm2",
           "--adapter", str(tmp_path / "lora"), "--out", str(out), "--cache-dir", str(cache_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "2 tensors, rank 4" in proc.stdout and out.stat().st_size > 0
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "exists" in again.stderr


# ---------------------------------------------------------------- generation (llama_cpp)
@pytest.fixture(scope="module")
def smol(cache_dir):
    if not HAS_LLAMA:
        pytest.skip("llama_cpp not installed")
    from assistant.generators.llamacpp import LlamaCppGenerator

    _smollm2_gguf(cache_dir)
    gen = LlamaCppGenerator("smollm2", cache_dir=cache_dir, n_ctx=2048, timeout_s=60)
    yield gen
    gen.close()


@needs_llama
@pytest.mark.model
def test_llamacpp_streams_stops_and_times_out(smol):
    text = "".join(smol.stream([{"role": "user", "content": "Say hello."}], max_new_tokens=12))
    assert text.strip() and smol.last["generated_tokens"] >= 1
    stop, got = threading.Event(), []
    for delta in smol.stream([{"role": "user", "content": "Count from one to fifty."}], max_new_tokens=64, stop=stop):
        got.append(delta)
        stop.set()
    assert len(got) == 1 and smol.last["generated_tokens"] <= 2
    smol.timeout_s = 0.3
    try:
        with pytest.raises(GenerationError) as err:
            list(smol.stream([{"role": "user", "content": "Write a long story about a cat. " * 20}],
                             max_new_tokens=400))
        assert "오래" in err.value.user_message
    finally:
        smol.timeout_s = 60
    assert "".join(smol.stream([{"role": "user", "content": "Say hi."}], max_new_tokens=4)).strip()
    import llama_cpp  # one token at a time on `decode_threads`, prompts on all the call's threads

    ctx = smol._llm._ctx.ctx
    decode, batch = smol.last["threads"]
    assert (llama_cpp.llama_n_threads(ctx), llama_cpp.llama_n_threads_batch(ctx)) == (decode, batch)
    assert decode == min(smol.decode_threads, batch)


@needs_llama
@pytest.mark.model
def test_llamacpp_reuses_the_prompt_prefix_and_other_families(smol):
    rules = "You are a shop assistant. Rules: answer briefly, cite product ids, never invent prices. " * 4
    one = [{"role": "system", "content": rules + "Facts: [P1] tea 3,000 won."}, {"role": "user", "content": "Tea?"}]
    two = [{"role": "system", "content": rules + "Facts: [P2] milk 2,000 won."}, {"role": "user", "content": "Milk?"}]
    other = [{"role": "user", "content": "Classify the intent of: I want tea. Reply in JSON."}]
    list(smol.stream(one, max_new_tokens=4))
    list(smol.stream(two, max_new_tokens=4))
    shared = smol.last["cached_tokens"]
    assert shared >= len(smol.prompt_tokens([{"role": "system", "content": rules}])) - 8
    assert smol.last["prompt_tokens"] - shared < 30      # only the facts and the question were computed
    list(smol.stream(other, max_new_tokens=4))          # another prompt family takes the live cache
    list(smol.stream(one, max_new_tokens=4))            # ... and the answer family comes back from the saved state
    assert smol.last["cached_tokens"] >= shared
    # the same greedy text with a cold cache
    warm = "".join(smol.stream(two, max_new_tokens=12))
    smol._llm.reset()
    smol._states.clear()
    assert "".join(smol.stream(two, max_new_tokens=12)) == warm


@needs_llama
@pytest.mark.model
def test_llamacpp_generate_json_follows_the_schema(smol):
    schema = {"type": "object", "properties": {
        "intent": {"type": "string", "enum": ["search", "policy", "cart_add"]},
        "max_price": {"type": ["integer", "null"]},
        # maxLength: the grammar also bounds a string, so a 135M model that repeats a word
        # inside one ("cant_cant_cant...", seen with the native build) still closes the object
        "keywords": {"type": "array", "items": {"type": "string", "maxLength": 16}, "maxItems": 3}},
        "required": ["intent", "max_price", "keywords"], "additionalProperties": False}
    msgs = [{"role": "user", "content": "Find me vegan snacks under 10000 won. Answer as JSON."}]
    out = smol.generate_json(msgs, schema, max_new_tokens=96)
    assert out["intent"] in ("search", "policy", "cart_add")
    assert out["max_price"] is None or isinstance(out["max_price"], int)
    assert isinstance(out["keywords"], list) and len(out["keywords"]) <= 3
    assert all(len(k) <= 16 for k in out["keywords"])
    assert set(out) == {"intent", "max_price", "keywords"}
    with pytest.raises(GenerationError):      # too few tokens to close the object
        smol.generate_json(msgs, schema, max_new_tokens=3)


@needs_llama
@pytest.mark.model
def test_llamacpp_grammar_loop_gives_the_sampler_chains_object(smol):
    """`generate_json` runs its own greedy loop (argmax checked by the grammar, the whole
    vocabulary masked only when refused); llama-cpp-python's grammar+greedy chain must give the
    same object, including where the grammar overrides the model's first choice."""
    schema = {"type": "object", "properties": {
        "intent": {"type": "string", "enum": ["search", "policy", "cart_add"]},
        "colour": {"type": "string", "enum": ["빨강", "파랑"]},
        "count": {"type": "integer", "minimum": 1, "maximum": 9}},
        "required": ["intent", "colour", "count"], "additionalProperties": False}
    chain = smol.__class__("smollm2", cache_dir=smol.cache_dir, n_ctx=2048, timeout_s=60, grammar_loop=False)
    try:
        for text in ("Find me three red apples. Answer as JSON.", "What is your refund policy? JSON please."):
            msgs = [{"role": "user", "content": text}]
            ours = smol.generate_json(msgs, schema, max_new_tokens=48)
            masks = smol.last["grammar_full_masks"]
            assert ours == chain.generate_json(msgs, schema, max_new_tokens=48)
            assert set(ours) == {"intent", "colour", "count"} and ours["colour"] in ("빨강", "파랑")
            assert masks > 0         # the English-speaking model never picks 빨강/파랑 unmasked
    finally:
        chain.close()


# ---------------------------------------------------------------- parity with peft/transformers
PARITY_PROMPTS = [
    [{"role": "system", "content": "당신은 온라인 마트 '장보기'의 쇼핑 도우미입니다. 한국어로 짧게 답하세요."},
     {"role": "user", "content": "비건 간식 만원 이하로 추천해줘"}],
    [{"role": "user", "content": "반품은 며칠 안에 해야 돼요?"}],
    [{"role": "system", "content": "[자료]\n- [P0891] 꼬마간식 쌀과자 150g | 3,000원 | 특징 비건 | 알레르기 대두\n[/자료]"},
     {"role": "user", "content": "쌀과자 알레르기 정보 알려줘"}],
]


@needs_llama
@pytest.mark.model
@pytest.mark.slow
def test_llamacpp_logits_match_peft_with_the_shipped_adapter(cache_dir):
    """llama.cpp (Q4_K_M GGUF + converted GGUF LoRA) against transformers + peft on the same
    weights dequantized to bf16: the same prompt tokens, the same argmax, a small KL divergence
    of the first-token distributions (llama.cpp quantizes activations to 8 bits inside its
    matmuls, the reference keeps them in fp32), and the adapter moves llama.cpp toward peft
    (the conversion carries the adapter, not only the base model)."""
    if not (DEFAULT_ADAPTER / "adapter_config.json").exists():
        pytest.skip("no shipped adapter")
    folder = cache_dir / "models" / "qwen0.5b"
    if not (folder / "config.json").exists():
        pytest.skip("qwen0.5b not prepared")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from assistant.generators.llamacpp import LlamaCppGenerator

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    peft = PeftModel.from_pretrained(model, str(DEFAULT_ADAPTER)).eval()
    with_lora = LlamaCppGenerator("qwen0.5b", cache_dir=cache_dir, adapter_path=DEFAULT_ADAPTER, n_ctx=1024)
    base = LlamaCppGenerator("qwen0.5b", cache_dir=cache_dir, n_ctx=1024)

    def logp(x):
        x = np.asarray(x, dtype=np.float64)
        return x - x.max() - np.log(np.exp(x - x.max()).sum())

    rows = []
    try:
        for msgs in PARITY_PROMPTS:
            ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            assert ids["input_ids"][0].tolist() == with_lora.prompt_tokens(msgs)   # same template, same tokens
            with torch.no_grad():
                ref = logp(peft(**ids).logits[0, -1].float().numpy())
            got, plain = logp(with_lora.next_token_logits(msgs)), logp(base.next_token_logits(msgs))
            p_ref = np.exp(ref)
            kl_lora = float((p_ref * (ref - got)).sum())      # KL(peft || llama.cpp + LoRA)
            kl_base = float((p_ref * (ref - plain)).sum())    # KL(peft || llama.cpp without LoRA)
            rows.append((int(np.argmax(ref)), int(np.argmax(got)), kl_lora, kl_base))
            print(f"argmax peft {rows[-1][0]} llama.cpp {rows[-1][1]}; KL with LoRA {kl_lora:.4f}, without {kl_base:.4f}")
    finally:
        with_lora.close()
        base.close()
    for ref_top, got_top, kl_lora, kl_base in rows:
        assert got_top == ref_top
        assert kl_lora < 0.05
        assert kl_lora < kl_base


@needs_llama
@pytest.mark.model
def test_llamacpp_warms_the_rules_at_load(cache_dir):
    from assistant.generators.llamacpp import LlamaCppGenerator

    _smollm2_gguf(cache_dir)
    rules = "You are a shop assistant. Rules: answer briefly, cite product ids, never invent prices. " * 4
    gen = LlamaCppGenerator("smollm2", cache_dir=cache_dir, n_ctx=1024, warm_system_prompt=rules)
    try:
        gen.load()
        list(gen.stream([{"role": "system", "content": rules + "Facts: [P1] tea."},
                         {"role": "user", "content": "Tea?"}], max_new_tokens=2))
        assert gen.last["cached_tokens"] >= len(gen.prompt_tokens([{"role": "system", "content": rules}])) - 10
    finally:
        gen.close()


# ---------------------------------------------------------------- prompt-lookup decoding
def test_lookup_draft_follows_the_latest_occurrence():
    from assistant.generators.llamacpp import lookup_draft

    history = [7, 1, 2, 8, 8, 5, 1, 2, 3, 4, 6, 1, 2]
    assert lookup_draft(history, max_ngram=2, n_pred=3) == [3, 4, 6]      # not [8, 8, 5] (earliest)
    assert lookup_draft(history, max_ngram=3, n_pred=2) == [3, 4]         # 3-gram (6, 1, 2) absent: 2-gram
    assert lookup_draft([1, 2, 3, 4], max_ngram=2, n_pred=5) == []        # nothing repeats
    assert lookup_draft([9, 4, 9], max_ngram=2, n_pred=5, min_ngram=1) == [4, 9]
    assert lookup_draft([9, 4, 9], max_ngram=2, n_pred=5, min_ngram=2) == []
    assert lookup_draft([], n_pred=4) == [] and lookup_draft([3], n_pred=4) == []


@needs_llama
@pytest.mark.model
def test_prompt_lookup_gives_the_greedy_text_in_fewer_steps(cache_dir):
    """Drafts copied from the prompt are kept only where greedy decoding predicts them, so a
    reply that copies the prompt takes fewer model calls than tokens and is the greedy text.
    Batched and token-by-token evaluation round differently (llama.cpp is not bit-exact across
    batch shapes), so the two texts may part at a near-tie: then the two tokens' logits must be
    within 0.5 of each other at that point."""
    from assistant.generators.llamacpp import LlamaCppGenerator

    _smollm2_gguf(cache_dir)
    line = "Order 4412: two boxes of green tea, one bag of rice crackers, three bottles of soy milk."
    msgs = [{"role": "system", "content": "Repeat the user's text exactly, nothing else."},
            {"role": "user", "content": line}]
    texts, lasts = {}, {}
    gen = LlamaCppGenerator("smollm2", cache_dir=cache_dir, n_ctx=1024)
    try:
        for lookup in (0, 10):
            gen.lookup_tokens = lookup
            texts[lookup] = "".join(gen.stream(msgs, max_new_tokens=40))
            lasts[lookup] = dict(gen.last)
        n = lasts[10]["generated_tokens"]
        assert texts[0].strip() and n >= 10 and lasts[10]["accepted_drafts"] > 0
        assert lasts[10]["decode_steps"] < n / 2
        if texts[10] != texts[0]:
            llm = gen._llm
            a, b = (llm.tokenize(texts[k].encode(), add_bos=False, special=False) for k in (0, 10))
            i = next(j for j, (x, y) in enumerate(zip(a, b)) if x != y)
            llm.reset()
            llm.eval(gen.prompt_tokens(msgs) + a[:i])         # the common part, then both candidates' logits
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()
            llm.reset()
            assert abs(float(logits[a[i]]) - float(logits[b[i]])) < 0.5, (texts, i)
    finally:
        gen.close()


# ---------------------------------------------------------------- merged, re-quantized GGUF
def test_llama_quant_setting_picks_the_merged_model_for_the_default_only(tmp_path):
    assert Settings().llama_merged_quant == "iq4_nl_all"
    assert Settings(chat_model="smollm2").llama_merged_quant == ""
    assert Settings(chat_model="smollm2", llama_quant="q4_0").llama_merged_quant == "q4_0"
    assert Settings(llama_quant="none").llama_merged_quant == ""
    with pytest.raises(ValueError):
        Settings(llama_quant="q3_k")
    gen = make_generator(Settings(backend="llamacpp", cache_dir=tmp_path, llama_lookup=0))
    assert gen.quant == "iq4_nl_all" and gen.lookup_tokens == 0 and "iq4_nl_all" in gen.name


@needs_llama
@pytest.mark.model
def test_merged_gguf_matches_the_runtime_adapter(tmp_path, cache_dir):
    """The adapter merged into the weights (then Q8_0) gives what llama.cpp computes with the
    same adapter applied at run time, and not what the base model computes; the q4_0 mix keeps
    attention q/k at Q8_0."""
    from gguf import GGUFReader

    from assistant.generators.gguf_files import adapter_gguf, merged_gguf
    from assistant.generators.llamacpp import LlamaCppGenerator

    base = _smollm2_gguf(cache_dir)
    rng = np.random.default_rng(3)
    from safetensors.numpy import save_file

    folder = tmp_path / "lora"
    folder.mkdir()
    tensors = {}
    for i in range(30):
        for proj, n_out in (("q_proj", 576), ("v_proj", 192)):
            key = f"base_model.model.model.layers.{i}.self_attn.{proj}"
            tensors[f"{key}.lora_A.weight"] = (0.05 * rng.standard_normal((4, 576))).astype(np.float32)
            tensors[f"{key}.lora_B.weight"] = (0.05 * rng.standard_normal((n_out, 4))).astype(np.float32)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 4, "lora_alpha": 8}))
    merged = merged_gguf(base, folder, tmp_path / "cache", "q8_0")
    assert merged.name.endswith("-q8_0.gguf") and merged_gguf(base, folder, tmp_path / "cache", "q8_0") == merged
    msgs = [{"role": "user", "content": "Name three fruits."}]

    def logp(path, adapter=None):
        gen = LlamaCppGenerator(str(path), cache_dir=tmp_path / "cache", adapter_path=adapter, n_ctx=512)
        try:
            x = np.asarray(gen.next_token_logits(msgs), dtype=np.float64)
        finally:
            gen.close()
        return x - x.max() - np.log(np.exp(x - x.max()).sum())

    runtime = logp(base, adapter_gguf(folder, base, tmp_path / "cache"))
    kl_merged = float((np.exp(runtime) * (runtime - logp(merged))).sum())
    kl_base = float((np.exp(runtime) * (runtime - logp(base))).sum())
    assert kl_merged < 0.05 and kl_merged < kl_base / 5, (kl_merged, kl_base)
    q4 = merged_gguf(base, folder, tmp_path / "cache", "q4_0")
    types = {t.name: t.tensor_type.name for t in GGUFReader(str(q4)).tensors}
    assert types["blk.0.attn_q.weight"] == "Q8_0" and types["blk.0.attn_k.weight"] == "Q8_0"
    assert types["blk.0.ffn_up.weight"] == "Q4_0"
    assert not list((tmp_path / "cache" / "gguf").glob("*.partial"))


@needs_llama
def test_export_command_writes_a_merged_gguf(tmp_path, cache_dir):
    import subprocess
    import sys

    _smollm2_gguf(cache_dir)
    _fake_peft(tmp_path / "lora", {"model.layers.2.self_attn.k_proj": (576, 192)})
    out = tmp_path / "merged.gguf"
    cmd = [sys.executable, "-m", "finetune.export", "--format", "gguf", "--quant", "q4_0", "--model", "smollm2",
           "--adapter", str(tmp_path / "lora"), "--out", str(out), "--cache-dir", str(cache_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "1 LoRA weights merged" in proc.stdout and out.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))


def test_a_build_for_another_cpu_falls_back_instead_of_crashing(tmp_path, monkeypatch):
    from assistant.generators import llamacpp

    monkeypatch.setattr(llamacpp, "cpu_mismatch", lambda *a, **k: "avx512f avx512_vnni")
    assert llamacpp.library_available() is False      # `auto` picks transformers
    called = []
    monkeypatch.setattr("assistant.generators.gguf_files.model_gguf", lambda *a, **k: called.append(1))
    gen = llamacpp.LlamaCppGenerator("qwen0.5b", cache_dir=tmp_path, quant="iq4_nl_all")
    with pytest.raises(GenerationError) as err:
        gen.load()
    assert "avx512f" in str(err.value) and "CPU" in err.value.user_message
    assert not called          # refused before the merge, whose quantizer would load llama.cpp


def test_the_setup_cpu_marker_of_this_machine_matches_this_machine(tmp_path):
    import subprocess

    from assistant.generators.llamacpp import cpu_mismatch

    if not Path("/proc/cpuinfo").exists():
        pytest.skip("no /proc/cpuinfo")
    line = r"""grep -m1 -E '^(flags|Features)' /proc/cpuinfo | tr ' ' '\n' | sort | tr '\n' ' '"""
    flags = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=True).stdout
    assert line in Path("scripts/setup.sh").read_text().replace("2>/dev/null ", "")   # the same words setup writes
    (tmp_path / "m").write_text(flags)
    assert flags.strip() and cpu_mismatch(tmp_path / "m") == ""
    (tmp_path / "m").write_text(flags + " made_up_feature")
    assert cpu_mismatch(tmp_path / "m") == "made_up_feature"
