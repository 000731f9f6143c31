"""Structured understanding by the chat model: message (+ the last turns) -> one JSON object.

The model reads what the rules may miss (unusual phrasing, indirect requests, a head noun)
and writes `{"intent", "item", "keywords", "allergens", "dietary_tags", "budget_max", ...}`:
the intent and the same slots as `assistant.types.Slots`, plus the head noun "item".
Decoding is constrained by `SCHEMA`, so the output always parses:
- a generator with `generate_json(messages, schema, max_new_tokens) -> dict` (the llama.cpp
  grammar, an OpenAI-compatible `response_format`, or transformers with a logits processor)
  is called directly;
- a local `TransformersGenerator` without it gets xgrammar's logits processor (or, when
  xgrammar is missing, lm-format-enforcer's JSON-schema parser) (`constrained_transformers_json`);
- anything else (a plain `stream`) is read leniently and marked `constrained: False`.

`read_model(data, text)` turns the JSON into an `Understanding`; it never trusts the model
beyond its schema: unknown intents fail, allergen words are expanded to labeling names
(store.domain.expand_allergens), brands, keywords and diet tags the message does not contain
are dropped (no invented filters), numbers must be plain non-negative integers and a
budget, amount, sort or urgency is taken only when the message has words for one.
Safety-first merging with the rules is `assistant.nlu.merge`.

Importing this module loads no model.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from dataclasses import asdict
from typing import Any

from assistant.nlu.lexicon import LEGACY_POLICY_TOPICS
from assistant.nlu.lexicon import POLICY_TOPICS as _RULE_POLICY_TOPICS
from assistant.types import INTENTS, DialogueState, Reference, Slots, Understanding
from store.domain import ALLERGEN_FAMILIES, ALLERGENS, expand_allergens

MAX_HISTORY_TURNS = 4        # messages of history shown to the model (2 exchanges)
MAX_NEW_TOKENS = 96
_REF_KINDS = ("it", "index", "cheapest", "most_expensive", "best_rated", "all")
# the rules' policy topics (policy families of data/policies) and the older names they replace
POLICY_TOPICS = tuple(dict.fromkeys(list(_RULE_POLICY_TOPICS) + list(LEGACY_POLICY_TOPICS)))

# Field order is the order the model writes them: intent and the head noun first, the
# constraints next, the rarely used fields last. Only "intent" is required, so a short
# message gets a short object (fewer tokens on a slow CPU).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "item": {"type": "string", "maxLength": 20},
        "keywords": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 4},
        "allergens": {"type": "array", "items": {"type": "string", "enum": list(ALLERGENS) + list(ALLERGEN_FAMILIES)},
                      "maxItems": 8},
        "dietary_tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 4},
        "budget_max": {"type": "integer", "minimum": 0},
        "budget_min": {"type": "integer", "minimum": 0},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "count": {"type": "integer", "minimum": 1, "maximum": 20},
        "brands": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        "avoid_brands": {"type": "array", "items": {"type": "string", "maxLength": 20}, "maxItems": 3},
        "sort": {"type": "string", "enum": ["price_asc", "price_desc", "rating"]},
        "reference": {"type": "string", "enum": list(_REF_KINDS)},
        "reference_index": {"type": "integer", "minimum": 1, "maximum": 20},
        "urgency": {"type": "string", "enum": ["새벽", "당일"]},
        "policy_topic": {"type": "string", "enum": list(POLICY_TOPICS)},
        "order_id": {"type": "string", "maxLength": 24},
    },
    "required": ["intent"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = (
    "너는 한국어 장보기 도우미의 이해 모듈이야. 손님의 마지막 메시지를 읽고 JSON 객체 하나만 써.\n"
    "intent: search(상품 찾기·추천), product_question(보여준 상품에 대한 질문), cart_add, cart_remove, "
    "cart_view, checkout, order_status, reorder, policy(배송·반품·결제 등 매장 규정), "
    "profile_update(자기 식단·알레르기 알림), greeting, out_of_scope.\n"
    "item: 찾는 상품의 핵심 명사 하나. keywords: 상품 단어들.\n"
    "allergens: 손님이 못 먹는다고 한 알레르기 성분 전부(견과류, 갑각류, 유제품 같은 묶음 이름도 그대로). "
    "'빼고', '말고', '안 돼요', '못 먹어요', '알레르기'는 제외하라는 뜻이야. '들어간 걸로'는 제외가 아니야.\n"
    "budget_max/budget_min: 원 단위 정수(만원 이하 -> budget_max 10000). quantity: 담을 개수, count: 보여줄 개수.\n"
    "말하지 않은 항목은 쓰지 마."
)

# Two short worked examples (written for the prompt, not taken from any evaluation set).
_EXAMPLES = (
    ("우리 애가 갑각류 먹으면 큰일나요 만두 2만원 이하로",
     {"intent": "search", "item": "만두", "keywords": ["만두"], "allergens": ["갑각류"], "budget_max": 20000}),
    ("그거 두 개 담아 주세요", {"intent": "cart_add", "reference": "it", "quantity": 2}),
)


# "chat": the examples as earlier chat turns; "inline": quoted inside the system prompt (a
# 0.5B model copied the chat-turn example's answer for an unrelated message, so inline is
# the default).
PROMPT_VARIANT = "inline"

# "tuned": the prompt of the NLU adapter (assets/adapters/qwen0.5b-nlu-lora), which learned the
# task from `finetune.data --task nlu` rows: one fixed short instruction (the same prefix on
# every call, so llama.cpp's prompt cache keeps it), then the last turn and the message; no
# examples and no long instructions, so a call prefills ~30-60 tokens instead of ~400.
TUNED_SYSTEM = "장보기 손님 메시지를 이해 JSON으로."
TUNED_HISTORY_TURNS = 2      # the shopper's last two messages
TUNED_TURN_CHARS = 80


def compact_json(obj: dict) -> str:
    """The target/output form: no spaces (fewer tokens to decode)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def ordered_target(obj: dict) -> dict:
    """`obj` with its keys in `SCHEMA` order (the order the grammar lets the model write them)."""
    order = list(SCHEMA["properties"])
    return {k: obj[k] for k in sorted(obj, key=lambda k: order.index(k) if k in order else len(order))}


def _tuned_messages(text: str, history: list[dict] | None) -> list[dict]:
    # only the shopper's earlier messages: the replies are long and what a reference points
    # at is resolved by the rules and the dialogue state, not by the model
    recent = [m for m in (history or []) if m.get("role") == "user"][-TUNED_HISTORY_TURNS:]
    lines = [f"이전: {str(m.get('content', ''))[:TUNED_TURN_CHARS]}" for m in recent]
    content = "\n".join(lines + [f"지금: {text}"]) if lines else text
    return [{"role": "system", "content": TUNED_SYSTEM}, {"role": "user", "content": content}]


def build_messages(text: str, history: list[dict] | None = None, variant: str | None = None) -> list[dict]:
    """Chat messages for the understanding call: instructions, examples, the last turns, the message.
    `variant` "tuned" is the NLU adapter's short prompt; default `PROMPT_VARIANT`."""
    variant = variant or PROMPT_VARIANT
    if variant == "tuned":
        return _tuned_messages(text, history)
    if variant == "chat":
        messages = [{"role": "system", "content": SYSTEM_PROMPT}]
        for example, answer in _EXAMPLES:
            messages.append({"role": "user", "content": example})
            messages.append({"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)})
    else:
        shown = "\n".join(f"예) {q} -> {json.dumps(a, ensure_ascii=False)}" for q, a in _EXAMPLES)
        messages = [{"role": "system", "content": f"{SYSTEM_PROMPT}\n{shown}"}]
    recent = [m for m in (history or []) if m.get("role") in ("user", "assistant")][-MAX_HISTORY_TURNS:]
    if recent:
        lines = "\n".join(f"{'손님' if m['role'] == 'user' else '도우미'}: {str(m.get('content', ''))[:200]}"
                          for m in recent)
        messages.append({"role": "user", "content": f"(앞선 대화)\n{lines}\n\n(마지막 메시지)\n{text}"})
    else:
        messages.append({"role": "user", "content": text})
    return messages


# ---------------------------------------------------------------- calling a generator
def generate_json(generator, messages: list[dict], schema: dict = SCHEMA,
                  max_new_tokens: int = MAX_NEW_TOKENS) -> tuple[dict, bool]:
    """(object, constrained) from `generator`. Raises on backend failure or unparsable output."""
    if hasattr(generator, "_tokenizer") and hasattr(generator, "load"):   # local transformers model
        return constrained_transformers_json(generator, messages, schema, max_new_tokens), True
    if hasattr(generator, "generate_json"):   # llama.cpp grammar, endpoint response_format, fakes
        return generator.generate_json(messages, schema, max_new_tokens), True
    text = "".join(generator.stream(messages, max_new_tokens=max_new_tokens))
    m = re.search(r"\{.*\}", text, re.DOTALL)
    if not m:
        raise ValueError(f"no JSON object in model output: {text[:80]!r}")
    return json.loads(m.group()), False


_ENFORCER_DATA: dict[int, Any] = {}
_ENFORCER_LOCK = threading.Lock()


def _tokenizer_data(tokenizer):
    """lm-format-enforcer's per-tokenizer tables, built once (its transformers integration
    does not import under transformers 5, so the ten lines it runs are here)."""
    from lmformatenforcer import TokenEnforcerTokenizerData

    key = id(tokenizer)
    with _ENFORCER_LOCK:
        if key not in _ENFORCER_DATA:
            special = set(tokenizer.all_special_ids)
            token_0 = tokenizer.encode("0")[-1]
            regular = []
            for idx in range(len(tokenizer)):
                if idx in special:
                    continue
                after_0 = tokenizer.decode([token_0, idx])[1:]
                regular.append((idx, after_0, len(after_0) > len(tokenizer.decode([idx]))))
            _ENFORCER_DATA[key] = TokenEnforcerTokenizerData(
                regular, lambda ids: tokenizer.decode(ids).rstrip("\ufffd"), tokenizer.eos_token_id,
                False, len(tokenizer))
        return _ENFORCER_DATA[key]


_XGR_COMPILERS: dict[int, Any] = {}


def _xgrammar_processor(tokenizer, model, schema: dict):
    """xgrammar's logits processor for `schema` (C++ token masks: fast on a 150k vocabulary),
    or None when xgrammar is not installed."""
    try:
        import xgrammar as xgr
        from xgrammar.contrib.hf import LogitsProcessor
    except ImportError:
        return None
    key = id(tokenizer)
    with _ENFORCER_LOCK:
        if key not in _XGR_COMPILERS:
            vocab = max(getattr(model.config, "vocab_size", 0) or 0, len(tokenizer))
            info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab)
            _XGR_COMPILERS[key] = (xgr.GrammarCompiler(info), {})
        compiler, grammars = _XGR_COMPILERS[key]
        schema_key = json.dumps(schema, sort_keys=True)
        if schema_key not in grammars:
            grammars[schema_key] = compiler.compile_json_schema(schema_key)
    return LogitsProcessor(grammars[schema_key])


def constrained_transformers_json(generator, messages: list[dict], schema: dict = SCHEMA,
                                  max_new_tokens: int = MAX_NEW_TOKENS) -> dict:
    """Greedy JSON-schema-constrained decoding on a `TransformersGenerator`'s model: xgrammar's
    logits processor when installed, else lm-format-enforcer's `JsonSchemaParser` through
    `prefix_allowed_tokens_fn` (pure Python: slow on a 150k-token vocabulary)."""
    generator.load()
    tok, model = generator._tokenizer, generator._model
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                     return_dict=True).to(model.device)
    prompt_len = inputs["input_ids"].shape[1]
    kwargs: dict[str, Any] = {}
    processor = _xgrammar_processor(tok, model, schema)
    if processor is not None:
        kwargs["logits_processor"] = [processor]
    else:
        from lmformatenforcer import JsonSchemaParser, TokenEnforcer

        enforcer = TokenEnforcer(_tokenizer_data(tok), JsonSchemaParser(schema))
        kwargs["prefix_allowed_tokens_fn"] = lambda _b, ids: enforcer.get_allowed_tokens(
            ids.tolist()[prompt_len:]).allowed_tokens
    lock = getattr(generator, "_gen_lock", None) or threading.Lock()
    with lock:
        out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, **kwargs,
                             pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id)
    text = tok.decode(out[0][prompt_len:], skip_special_tokens=True)
    return json.loads(text)


# ---------------------------------------------------------------- reading the object
def _strings(value, limit: int) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()][:limit]


def _int(value, lo: int, hi: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return None
    return value


def _in_text(word: str, text: str) -> bool:
    return word.replace(" ", "").lower() in text.replace(" ", "").lower()


# What a value must have in the message to be taken from the model: it may only report what
# the shopper said (a small model adds a sort or a same-day wish nobody asked for).
_CUES = {
    "sort": re.compile(r"싼|싸|저렴|비싼|비싸|가격\s?순|평점|별점|인기|리뷰\s?많|순서|순으로|정렬|높은\s?순|낮은\s?순"),
    "urgency": re.compile(r"오늘|내일|새벽|당일|빨리|급|당장|아침|저녁까지|바로"),
    "money": re.compile(r"\d|(?<![가-힣])[일이삼사오육칠팔구십백천]*\s?(?:만|천)\s?원|만원|천원|[일이삼사오육칠팔구십]\s?만"),
    "amount": re.compile(r"\d|(?<![가-힣])(?:하나|둘|셋|넷|다섯|여섯|일곱|여덟|아홉|열|한|두|세|네)"
                         r"(?:\s?(?:개|봉|팩|병|박스|통|캔|묶음|판|세트|가지)|(?![가-힣]))"),
}


def _said(kind: str, text: str) -> bool:
    return bool(_CUES[kind].search(text))


@functools.lru_cache(maxsize=1)
def _known_tags() -> frozenset[str]:
    from assistant.nlu.lexicon import DIETARY_TAGS, TAG_SYNONYMS, USE_TAGS

    return frozenset(DIETARY_TAGS) | USE_TAGS | frozenset(TAG_SYNONYMS.values())


def read_model(data: Any, text: str, tags: Any = None, brands: Any = None) -> Understanding | None:
    """`Understanding` from the model's object, or None when it is not one.

    >>> u = read_model({"intent": "search", "item": "과자", "allergens": ["견과류"], "brands": ["오리온"]}, "견과류 빼고 과자")
    >>> u.intent, u.slots.keywords, u.slots.allergens, u.slots.brands
    ('search', ('과자',), ('땅콩', '호두', '잣'), ())
    """
    if not isinstance(data, dict) or data.get("intent") not in INTENTS:
        return None
    item = data.get("item") if isinstance(data.get("item"), str) else ""
    keywords = [w for w in [item.strip()] + _strings(data.get("keywords"), 4) if w and _in_text(w, text)]
    ref_kind = data.get("reference")
    reference = None
    if ref_kind in _REF_KINDS:
        index = _int(data.get("reference_index"), 1, 20)
        reference = Reference(ref_kind, index - 1 if ref_kind == "index" and index else None)
        if ref_kind == "index" and index is None:
            reference = None
    sort = data.get("sort") if data.get("sort") in ("price_asc", "price_desc", "rating") and _said("sort", text) else None
    money, amount = _said("money", text), _said("amount", text)
    slots = Slots(
        keywords=tuple(dict.fromkeys(keywords)),
        allergens=expand_allergens(_strings(data.get("allergens"), 8)),
        # a diet or use the message does not name is the model's guess, not the shopper's
        # constraint ("견과 없는 그래놀라" -> 비건): only a store tag (`tags`: the catalog's, else
        # the built-in ones) that the message says is taken ("유제품" is an allergen, no tag)
        dietary_tags=tuple(t for t in _strings(data.get("dietary_tags"), 4)
                           if _in_text(t, text) and t in (tags or _known_tags())),
        budget_max=_int(data.get("budget_max"), 0, 100_000_000) if money else None,
        budget_min=_int(data.get("budget_min"), 0, 100_000_000) if money else None,
        quantity=_int(data.get("quantity"), 1, 99) if amount else None,
        count=_int(data.get("count"), 1, 20) if amount else None,
        # a brand is one the store knows (`brands`, when given): "닭가슴살" is no brand
        brands=tuple(b for b in _strings(data.get("brands"), 3) if _in_text(b, text) and (brands is None or b in brands)),
        avoid_brands=tuple(b for b in _strings(data.get("avoid_brands"), 3)
                           if _in_text(b, text) and (brands is None or b in brands)),
        sort=sort, reference=reference,
        urgency=data.get("urgency") if data.get("urgency") in ("새벽", "당일") and _said("urgency", text) else None,
        policy_topic=data.get("policy_topic") if data.get("policy_topic") in POLICY_TOPICS else None,
        order_id=(data.get("order_id") or None) if isinstance(data.get("order_id"), str)
        and _in_text(data["order_id"], text) else None,
    )
    return Understanding(intent=data["intent"], slots=slots, confidence=0.7)


def model_understanding(text: str, state: DialogueState | None, generator,
                        max_new_tokens: int = MAX_NEW_TOKENS, tags: Any = None,
                        brands: Any = None) -> tuple[Understanding | None, dict]:
    """Ask `generator` and read its answer. Returns (understanding or None, trace) where the
    trace holds the raw object, whether decoding was constrained, the time and any error.
    Backend failures are not raised: the rules stand alone then."""
    history = list(state.history) if state is not None else []
    trace: dict[str, Any] = {"raw": None, "constrained": None, "ms": None, "error": None}
    t0 = time.perf_counter()
    try:
        variant = "tuned" if getattr(generator, "nlu_tuned", False) else None
        data, constrained = generate_json(generator, build_messages(text, history, variant), SCHEMA, max_new_tokens)
        trace.update(raw=data, constrained=constrained)
    except Exception as exc:  # any backend failure means "no opinion"
        trace["error"] = f"{type(exc).__name__}: {exc}"[:200]
        data = None
    trace["ms"] = round((time.perf_counter() - t0) * 1000, 1)
    und = read_model(data, text, tags, brands) if data is not None else None
    if data is not None and und is None:
        trace["error"] = "object outside the schema"
    return und, trace


def understanding_dict(u: Understanding | None) -> dict | None:
    """JSON-ready form of an `Understanding` (for `--json` output)."""
    if u is None:
        return None
    slots = {k: v for k, v in asdict(u.slots).items() if v not in (None, (), [], "")}
    return {"intent": u.intent, "confidence": u.confidence, "slots": slots}
