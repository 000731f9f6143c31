"""One frozen settings object for the whole app, read only in entry points.

`Settings.from_env()` reads `JANGBOGI_*` environment variables; `add_cli_args()` and
`Settings.from_args()` let an entry point override them from its command line. Nothing
else in the code base reads the environment: services receive the values they need.

Example:
    >>> s = Settings.from_env({"JANGBOGI_PORT": "8080"})
    >>> s.port
    8080
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent

# Shipped LoRA adapter for the embedded model (produced by finetune/, committed small).
DEFAULT_ADAPTER = REPO_ROOT / "assets" / "adapters" / "qwen0.5b-shop-lora"
# Shipped LoRA adapter for the understanding call (message -> JSON; finetune.data --task nlu).
DEFAULT_NLU_ADAPTER = REPO_ROOT / "assets" / "adapters" / "qwen0.5b-nlu-lora"

BACKEND_CHOICES = ("auto", "transformers", "llamacpp", "openai")
LLAMA_QUANT_CHOICES = ("auto", "none", "iq4_nl_all", "iq4_nl", "q4_0", "q8_0")   # gguf_files.MERGED_QUANTS + auto/none
QUANTIZATION_CHOICES = ("auto", "nf4", "none")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
UI_MODES = ("browser", "kiosk", "spaces")
DEMO_CHOICES = ("auto", "on", "off")
_DEMO_ALIASES = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off", "": "auto"}
DEFAULT_DB_PATH = REPO_ROOT / "var" / "jangbogi.db"


def _default_cache_dir() -> Path:
    return Path(os.path.expanduser("~/.cache/jangbogi"))


@dataclass(frozen=True)
class Settings:
    """Every knob of Jangbogi. Field metadata `env` names the environment variable."""

    chat_model: str = field(default="qwen0.5b", metadata={"env": "JANGBOGI_CHAT_MODEL",
        "help": "chat model: alias qwen0.5b or smollm2, a hub id, a local folder, or a .gguf file"})
    backend: str = field(default="auto", metadata={"env": "JANGBOGI_BACKEND",
        "help": "auto (endpoint if set; llama.cpp on CPU when installed and a GGUF exists; "
                "else transformers), transformers, llamacpp or openai"})
    adapter: str = field(default="default", metadata={"env": "JANGBOGI_ADAPTER",
        "help": "LoRA adapter folder; 'default' = shipped adapter if present, 'none' = off"})
    quantization: str = field(default="auto", metadata={"env": "JANGBOGI_QUANTIZATION",
        "help": "auto (nf4 on CUDA, bf16 on CPU), nf4 or none"})
    device: str = field(default="auto", metadata={"env": "JANGBOGI_DEVICE",
        "help": "auto, cpu or cuda"})
    embedding_model: str = field(default="e5-small", metadata={"env": "JANGBOGI_EMBEDDING_MODEL",
        "help": "embedding model: alias e5-small, a hub id, or a sentence-transformers folder"})
    llm_endpoint: str = field(default="", metadata={"env": "JANGBOGI_LLM_ENDPOINT",
        "help": "OpenAI-compatible base URL (vLLM/TGI/llama.cpp), e.g. http://gpu:8000/v1"})
    llm_endpoint_model: str = field(default="", metadata={"env": "JANGBOGI_LLM_ENDPOINT_MODEL",
        "help": "model name sent to the endpoint"})
    llm_api_key: str = field(default="", metadata={"env": "JANGBOGI_LLM_API_KEY",
        "help": "API key for the endpoint (empty = none)"})
    no_llm: bool = field(default=False, metadata={"env": "JANGBOGI_NO_LLM",
        "help": "template-only answers, no language model"})
    # auto by default since the understanding adapter (assets/adapters/qwen0.5b-nlu-lora, trained
    # on a GPU): on fresh batch N, rules intent 0.876 / slot F1 0.813, merged auto 0.938 / 0.821,
    # the model on 58 % of turns (docs/benchmarks/nlu.md, 2026-11-27). "always" reads every turn
    # (0.947 intent on N; for a fast backend); "off" is the rules alone.
    nlu_model: str = field(default="auto", metadata={"env": "JANGBOGI_NLU_MODEL",
        "help": "when the chat model reads the message as JSON too: off, auto (when the rules "
                "are unsure) or always (every turn: for a strong backend)"})
    nlu_adapter: str = field(default="default", metadata={"env": "JANGBOGI_NLU_ADAPTER",
        "help": "LoRA adapter of the understanding call: default (the shipped NLU adapter, run as its own "
                "model instance with a short prompt, when the chat model is the embedded one), none (the "
                "chat model itself reads the message with the long prompt) or a folder"})
    n_threads: int = field(default=0, metadata={"env": "JANGBOGI_THREADS",
        "help": "llama.cpp threads (0 = physical cores)"})
    llama_decode_threads: int = field(default=0, metadata={"env": "JANGBOGI_DECODE_THREADS",
        "help": "llama.cpp threads while generating tokens one at a time (0 = 1 on a machine with at "
                "most 2 physical cores, else JANGBOGI_THREADS)"})
    llama_quant: str = field(default="auto", metadata={"env": "JANGBOGI_LLAMA_QUANT",
        "help": "llama.cpp weights: auto (the embedded model merged with its adapter and re-quantized "
                "to iq4_nl_all, made once; other GGUFs as they are), iq4_nl_all (every matrix IQ4_NL), "
                "iq4_nl (llama.cpp's IQ4_NL mix: output projection Q8_0), q4_0, q8_0, or none (the GGUF "
                "as shipped + the adapter at run time)"})
    # Prompt lookup paid off while the adapter copied the template draft from the prompt; the
    # shipped adapter writes from the facts, and rejected 24-token drafts cut decode from 24-31
    # to 11.6 tok/s (docs/benchmarks/llamacpp.md, 2026-11-27), so it is off by default.
    llama_lookup: int = field(default=0, metadata={"env": "JANGBOGI_LLAMA_LOOKUP",
        "help": "llama.cpp prompt-lookup draft tokens per step for greedy replies (0 = off; 24 suits "
                "an adapter that copies the draft layout's text)"})
    max_new_tokens: int = field(default=160, metadata={"env": "JANGBOGI_MAX_NEW_TOKENS",
        "help": "generation length cap"})
    generation_timeout_s: float = field(default=90.0, metadata={"env": "JANGBOGI_GENERATION_TIMEOUT",
        "help": "seconds before a generation is abandoned for the template answer"})
    fusion_alpha: float = field(default=0.6, metadata={"env": "JANGBOGI_FUSION_ALPHA",
        "help": "hybrid weight of the dense score (0 = BM25 only, 1 = dense only); tuned on dev"})
    data_dir: Path = field(default=REPO_ROOT / "data", metadata={"env": "JANGBOGI_DATA_DIR",
        "help": "catalog, policies, customers"})
    cache_dir: Path = field(default_factory=_default_cache_dir, metadata={"env": "JANGBOGI_CACHE",
        "help": "prepared models"})
    index_dir: Path = field(default=REPO_ROOT / "var" / "index", metadata={"env": "JANGBOGI_INDEX_DIR",
        "help": "retrieval indexes (built on first use)"})
    var_dir: Path = field(default=REPO_ROOT / "var", metadata={"env": "JANGBOGI_VAR",
        "help": "generated state: sales history and forecasts (history/, forecast/)"})
    db_path: Path = field(default=DEFAULT_DB_PATH, metadata={"env": "JANGBOGI_DB",
        "help": "SQLite database: profiles, carts, orders, stock ledger"})
    ui_mode: str = field(default="browser", metadata={"env": "JANGBOGI_MODE",
        "help": "browser, kiosk or spaces"})
    host: str = field(default="127.0.0.1", metadata={"env": "JANGBOGI_HOST", "help": "bind address"})
    port: int = field(default=7860, metadata={"env": "JANGBOGI_PORT", "help": "HTTP port"})
    staff_pin: str = field(default="", metadata={"env": "JANGBOGI_STAFF_PIN",
        "help": "PIN of the staff view; empty = the random PIN setup stored hashed in var/secrets/"})
    demo: str = field(default="auto", metadata={"env": "JANGBOGI_DEMO",
        "help": "demo customers pickable without a PIN: on, off, or auto (on only in spaces mode "
                "with the shipped demo database)"})
    session_ttl_s: int = field(default=3600, metadata={"env": "JANGBOGI_SESSION_TTL",
        "help": "seconds a sign-in (browser session or API token) stays valid"})
    kiosk_idle_s: int = field(default=120, metadata={"env": "JANGBOGI_KIOSK_IDLE",
        "help": "kiosk idle seconds before the session is cleared"})
    now: str = field(default="", metadata={"env": "JANGBOGI_NOW",
        "help": "fixed clock, ISO time (KST when no zone): orders, slots, deadlines and time-of-day/season suggestions, e.g. 2026-07-20T08:00 (empty = real clock)"})
    weather: str = field(default="", metadata={"env": "JANGBOGI_WEATHER",
        "help": "store weather hint for suggestions: 비, 더위, 추위 (no network; empty = none)"})

    def __post_init__(self) -> None:
        if self.backend not in BACKEND_CHOICES:
            raise ValueError(f"backend must be one of {BACKEND_CHOICES}, got {self.backend!r}")
        if self.backend == "openai" and not self.llm_endpoint:
            raise ValueError("backend 'openai' needs an endpoint (JANGBOGI_LLM_ENDPOINT / --llm-endpoint)")
        if self.n_threads < 0:
            raise ValueError(f"n_threads must be >= 0, got {self.n_threads}")
        if self.llama_decode_threads < 0:
            raise ValueError(f"llama_decode_threads must be >= 0, got {self.llama_decode_threads}")
        if self.llama_quant not in LLAMA_QUANT_CHOICES:
            raise ValueError(f"llama_quant must be one of {LLAMA_QUANT_CHOICES}, got {self.llama_quant!r}")
        if self.llama_lookup < 0:
            raise ValueError(f"llama_lookup must be >= 0, got {self.llama_lookup}")
        if self.quantization not in QUANTIZATION_CHOICES:
            raise ValueError(f"quantization must be one of {QUANTIZATION_CHOICES}, got {self.quantization!r}")
        if self.device not in DEVICE_CHOICES:
            raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {self.device!r}")
        if self.ui_mode not in UI_MODES:
            raise ValueError(f"ui_mode must be one of {UI_MODES}, got {self.ui_mode!r}")
        if self.nlu_model not in ("off", "auto", "always"):
            raise ValueError(f"nlu_model must be one of off, auto, always, got {self.nlu_model!r}")
        if not 0.0 <= self.fusion_alpha <= 1.0:
            raise ValueError(f"fusion_alpha must be within [0, 1], got {self.fusion_alpha}")
        if self.demo not in DEMO_CHOICES:
            object.__setattr__(self, "demo", _DEMO_ALIASES.get(str(self.demo).strip().lower(), self.demo))
            if self.demo not in DEMO_CHOICES:
                raise ValueError(f"demo must be one of {DEMO_CHOICES}, got {self.demo!r}")
        if self.session_ttl_s <= 0:
            raise ValueError(f"session_ttl_s must be positive, got {self.session_ttl_s}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must be within 1..65535, got {self.port}")
        if self.now:
            from datetime import datetime

            try:
                datetime.fromisoformat(self.now.strip())
            except ValueError:
                raise ValueError(f"now must be an ISO date-time like 2026-07-20T08:00, got {self.now!r}") from None

    @property
    def adapter_path(self) -> Path | None:
        """The adapter to load, or None. 'default' resolves to the shipped one when it exists
        and the chat model is the embedded default."""
        return self._adapter_folder(self.adapter, DEFAULT_ADAPTER)

    @property
    def nlu_adapter_path(self) -> Path | None:
        """The understanding call's own adapter, or None (the chat generator reads messages).
        'default' resolves to the shipped NLU adapter when it exists and the chat model is the
        embedded default."""
        return self._adapter_folder(self.nlu_adapter, DEFAULT_NLU_ADAPTER)

    def _adapter_folder(self, value: str, shipped: Path) -> Path | None:
        """'' / 'none' -> None; 'default' -> `shipped` when it exists and the chat model is the
        embedded default, else None; anything else is a folder path."""
        if value in ("", "none"):
            return None
        if value == "default":
            if self.chat_model == "qwen0.5b" and (shipped / "adapter_config.json").exists():
                return shipped
            return None
        return Path(value)

    @property
    def llama_merged_quant(self) -> str:
        """The re-quantization the llama.cpp backend runs ('' = the GGUF as shipped): 'auto'
        is iq4_nl_all for the embedded default model (measured, docs/benchmarks/llamacpp.md)."""
        if self.llama_quant == "auto":
            return "iq4_nl_all" if self.chat_model == "qwen0.5b" else ""
        return "" if self.llama_quant == "none" else self.llama_quant

    @property
    def demo_mode(self) -> bool:
        """Demo customers may be picked without a PIN: `demo` on, or auto in spaces mode with
        the shipped demo database (the default db_path)."""
        if self.demo != "auto":
            return self.demo == "on"
        return self.ui_mode == "spaces" and Path(self.db_path) == DEFAULT_DB_PATH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _coerce(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> "Settings":
        """Environment first, then any option given on the command line."""
        names = {f.name for f in dataclasses.fields(cls)}
        overrides = {k: v for k, v in vars(args).items() if k in names and v is not None}
        base = cls.from_env(environ)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        return dataclasses.replace(base, **{k: _coerce(fields[k], v) if isinstance(v, str) else v
                                            for k, v in overrides.items()})


def _coerce(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "Path":
        return Path(os.path.expanduser(raw))
    return raw


def add_cli_args(parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
    """Add one `--option` per settings field (all default to None = keep env/default)."""
    for f in dataclasses.fields(Settings):
        if only is not None and f.name not in only:
            continue
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{f.metadata['help']} (env {f.metadata['env']})"
        if f.type in ("bool", bool):
            parser.add_argument(flag, dest=f.name, action="store_const", const=True, default=None, help=help_text)
        else:
            parser.add_argument(flag, dest=f.name, default=None, help=help_text)
