"""BM25 engines: bm25s (default) against rank-bm25 (reference) on a hand-made Korean corpus."""

import numpy as np
import pytest

from retrieval.analyzer import Analyzer
from retrieval.bm25 import Bm25sEngine, RankBm25Engine, make_bm25_engine, top_k

CORPUS = [
    "무가당 그릭요거트 450g 설탕을 넣지 않은 꾸덕한 요거트",
    "초코 프로틴바 12입 단백질 20g 간식",
    "유기농 두유 1L 비건 음료 콩",
    "새벽배송은 밤 11시까지 주문하면 다음날 아침에 도착합니다",
    "반품은 상품 수령 후 7일 이내에 신청할 수 있습니다",
]
QUERIES = ["설탕 없는 요거트", "protein bar", "비건 두유", "새벽 배송 언제 도착", "반품 신청 기한"]


@pytest.fixture(scope="module")
def tokens():
    a = Analyzer()
    return a, a.tokenize_many(CORPUS)


def test_bm25s_and_rank_bm25_agree_on_ranking(tokens):
    analyzer, docs = tokens
    fast, ref = Bm25sEngine(), RankBm25Engine()
    fast.index(docs)
    ref.index(docs)
    for expected, q in enumerate(QUERIES):
        qt = analyzer.tokenize(q)
        f, r = fast.scores(qt), ref.scores(qt)
        assert f.shape == r.shape == (len(CORPUS),)
        assert int(np.argmax(f)) == int(np.argmax(r)) == expected, q
        # Same ordering of the documents that match at all.
        assert list(np.argsort(-f)[: (f > 0).sum()]) == list(np.argsort(-r)[: (f > 0).sum()])


def test_unknown_tokens_score_zero(tokens):
    _, docs = tokens
    for eng in (Bm25sEngine(), RankBm25Engine()):
        eng.index(docs)
        assert not eng.scores(["없는단어"]).any()
        assert not eng.scores([]).any()


def test_empty_corpus():
    eng = Bm25sEngine()
    eng.index([])
    assert len(eng) == 0 and eng.scores(["우유"]).shape == (0,)


def test_save_load_roundtrip(tmp_path, tokens):
    analyzer, docs = tokens
    eng = Bm25sEngine()
    eng.index(docs)
    eng.save(tmp_path / "bm25")
    again = Bm25sEngine.load(tmp_path / "bm25")
    qt = analyzer.tokenize("비건 두유")
    assert np.allclose(eng.scores(qt), again.scores(qt))


def test_top_k_respects_mask_and_positive_scores():
    scores = np.array([0.5, 3.0, 0.0, 2.0, 1.0], dtype=np.float32)
    idx, sc = top_k(scores, 3)
    assert idx.tolist() == [1, 3, 4] and sc.tolist() == [3.0, 2.0, 1.0]
    mask = np.array([True, False, True, True, True])
    assert top_k(scores, 10, mask)[0].tolist() == [3, 4, 0]
    assert top_k(scores, 10, np.zeros(5, dtype=bool))[0].size == 0


def test_factory_rejects_unknown_engine():
    assert isinstance(make_bm25_engine("rank-bm25"), RankBm25Engine)
    with pytest.raises(ValueError):
        make_bm25_engine("lucene")
