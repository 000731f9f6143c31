"""HybridRetriever over a tiny hand-made store: modes, filters before ranking, collapse,
explain, bad input. Uses the deterministic HashingEmbedder (no model)."""

import pytest

from retrieval import Doc, Filters, HashingEmbedder, RetrievalError, open_index
from retrieval.analyzer import Analyzer
from retrieval.filters import to_where
from retrieval.types import category_keys

LONG = " ".join(f"{i}번째 문장은 배송과 상관없는 매장 소개입니다." for i in range(60)) + \
    " 마지막으로 포장재는 모두 종이로 바꾸었습니다."

DOCS = [
    Doc("P1", "무가당 그릭요거트 450g. 설탕을 넣지 않은 꾸덕한 요거트", "그릭요거트", "product",
        {"price": 5900, "category": "식품/유제품/요거트", "tags": ["무설탕"], "allergens": ["우유"], "stock": 3}),
    Doc("P2", "초코 프로틴바 12입. 단백질 20g 간식", "프로틴바", "product",
        {"price": 15000, "category": "식품/간식/프로틴바", "tags": ["고단백"], "allergens": ["대두", "우유"], "stock": 0}),
    Doc("P3", "유기농 두유 1L 비건 음료", "두유", "product",
        {"price": 3200, "category": "식품/음료/두유", "tags": ["비건", "유기농"], "allergens": ["대두"], "stock": 10}),
    Doc("P4", "비건 오트밀크 1L 귀리 음료", "오트밀크", "product",
        {"price": 4500, "category": "식품/음료/식물성우유", "tags": ["비건"], "allergens": [], "stock": 7}),
    Doc("배송-01", "", "배송 안내", "policy", {"category": "배송"},
        chunks=("배송비\n3만원 이상 무료 배송입니다.", "새벽배송\n밤 11시까지 주문하면 다음날 아침 7시 전 도착합니다.")),
    Doc("소개-01", LONG, "매장 소개", "other"),
]


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    analyzer = Analyzer()
    return open_index(DOCS, tmp_path_factory.mktemp("idx"), HashingEmbedder(analyzer=analyzer),
                      analyzer=analyzer)


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize("query,expected", [
    ("설탕 없는 요거트", "P1"), ("protein bar", "P2"), ("새벽 배송 언제 와요?", "배송-01"),
    ("귀리 음료", "P4"), ("포장재 종이", "소개-01"),
])
def test_each_mode_finds_the_right_doc(retriever, mode, query, expected):
    hits = retriever.search(query, k=3, mode=mode)
    assert hits and hits[0].id == expected


def test_hits_are_doc_level_with_best_passage(retriever):
    hits = retriever.search("새벽배송 주문 시간", k=10)
    assert [h.id for h in hits].count("배송-01") == 1
    top = hits[0]
    assert top.passage_id == "배송-01#2" and "11시" in top.passage and top.kind == "policy"
    assert set(top.scores) == {"bm25", "dense", "fused"} and top.score == top.scores["fused"]
    assert len(retriever.data.chunks) > len(DOCS)  # the long doc was chunked
    assert len({h.id for h in retriever.search("문장 소개", k=10)}) == len(retriever.search("문장 소개", k=10))


def test_filters_apply_before_ranking(retriever):
    f = Filters(kinds=("product",), excluded_allergens=("우유",), max_price=4000)
    for mode in ("bm25", "dense", "hybrid"):
        # The best text match (P1, contains 우유) is excluded; P3 is the only product left.
        hits = retriever.search("요거트 두유", k=5, filters=f, mode=mode)
        assert [h.id for h in hits] == ["P3"], mode
    hits = retriever.search("비건 음료", k=5, filters=Filters(required_tags=("비건",), in_stock=True))
    assert {h.id for h in hits} == {"P3", "P4"}
    hits = retriever.search("음료", k=5, filters=Filters(categories=("유제품",)))
    assert [h.id for h in hits] == ["P1"]


def test_filter_matching_nothing_returns_empty(retriever):
    assert retriever.search("요거트", filters=Filters(max_price=100, kinds=("product",))) == []
    assert retriever.search("요거트", filters=Filters(categories=("가전",))) == []


def test_python_and_chroma_filters_agree(retriever):
    col = retriever.data.collection
    cases = [Filters(kinds=("product",)), Filters(min_price=4000), Filters(max_price=5000, in_stock=True),
             Filters(categories=("식품/음료",)), Filters(categories=("요거트", "두유")),
             Filters(required_tags=("비건", "유기농")), Filters(excluded_allergens=("대두", "우유")),
             Filters(kinds=("policy", "other"))]
    for f in cases:
        py = {d.id for d in DOCS if f.matches(d.kind, d.meta)}
        got = col.get(where=to_where(f), include=["metadatas"])
        assert {m["doc_id"] for m in got["metadatas"]} == py, f


def test_dense_stage_by_ids_equals_chroma_where(retriever):
    """The dense stage hands chromadb the mask's passage ids instead of a `where` clause:
    the same neighbours, in the same order, at the same distances."""
    col = retriever.data.collection
    cases = [Filters(kinds=("product",)), Filters(excluded_allergens=("우유",)),
             Filters(max_price=5000, in_stock=True), Filters(categories=("식품/음료",)),
             Filters(kinds=("policy", "other")), Filters(required_tags=("비건",), excluded_allergens=("대두",))]
    for query in ("두유", "배송 시간", "요거트 간식"):
        qvec = retriever.query_vector(query)
        for f in cases:
            n = len(retriever.data.chunks)
            by_where = col.query(query_embeddings=qvec[None, :], n_results=n, where=to_where(f),
                                 include=["distances"])
            by_ids = col.query(query_embeddings=qvec[None, :], n_results=n, ids=retriever._allowed_ids(f),
                               include=["distances"])
            assert by_ids["ids"] == by_where["ids"] and by_ids["distances"] == by_where["distances"], (query, f)
            assert retriever._dense(qvec, f, n) == {c: 1.0 - d for c, d in zip(by_where["ids"][0],
                                                                               by_where["distances"][0])}


def test_dense_stage_falls_back_to_where_when_an_id_is_gone(retriever, monkeypatch):
    """An edit between the mask and the query (a passage deleted) must not fail the search."""
    f = Filters(kinds=("product",))
    qvec = retriever.query_vector("두유")
    want = retriever._dense(qvec, f, 10)
    ids = retriever._allowed_ids(f)
    monkeypatch.setattr(retriever, "_allowed_ids", lambda filters: ids + ["P9#0"])
    assert retriever._dense(qvec, f, 10) == want


def test_query_vectors_are_memoized_read_only_and_bounded(retriever, monkeypatch):
    calls = []
    inner = retriever.embedder.encode_queries
    monkeypatch.setattr(retriever.embedder, "encode_queries", lambda texts: calls.append(texts) or inner(texts))
    monkeypatch.setattr(retriever, "_qvecs", type(retriever._qvecs)())
    first = [h.id for h in retriever.search("귀리 음료", k=3)]
    assert [h.id for h in retriever.search("귀리 음료", k=3)] == first and calls == [["귀리 음료"]]
    vec = retriever.query_vector("귀리 음료")
    with pytest.raises(ValueError):
        vec[0] = 1.0                       # a shared vector cannot be changed by a caller
    monkeypatch.setattr(retriever, "query_cache", 2)
    for q in ("두유", "요거트", "배송"):
        retriever.query_vector(q)
    assert list(retriever._qvecs) == ["요거트", "배송"]
    monkeypatch.setattr(retriever, "query_cache", 0)   # latency benchmarks: every query embedded
    calls.clear()
    retriever.search("두유", k=1)
    retriever.search("두유", k=1)
    assert calls == [["두유"], ["두유"]]


def test_category_keys():
    assert category_keys("식품/유제품/요거트") == ["식품", "식품/유제품", "식품/유제품/요거트", "유제품", "요거트"]


def test_explain_reports_components(retriever):
    ex = retriever.explain("설탕 없는 요거트", k=3)
    assert ex["tokens"] == ["설탕", "없다", "요거트"]
    top = ex["hits"][0]
    assert top["id"] == "P1" and top["bm25_rank"] == 1 and top["dense"] is not None and top["fused"] > 0


@pytest.mark.parametrize("query", ["", "   ", "😀🍓😀", "?!...", "ㅡㅡ;"[2:]])
def test_contentless_queries_raise_clear_error(retriever, query):
    with pytest.raises(RetrievalError) as err:
        retriever.search(query)
    assert err.value.user_message and "검색" in err.value.user_message


@pytest.mark.parametrize("query", ["'; DROP TABLE products;--", "요거트" * 1700, "우유 🥛", "SELECT * FROM x WHERE 1=1"])
def test_odd_queries_return_results_without_crashing(retriever, query):
    hits = retriever.search(query, k=3)
    assert isinstance(hits, list) and len(hits) <= 3


def test_bad_mode_and_k(retriever):
    with pytest.raises(RetrievalError):
        retriever.search("우유", mode="magic")
    assert len(retriever.search("우유", k=0)) == 1  # k is clamped to [1, 200]


def test_bad_filters_raise_clear_errors():
    with pytest.raises(RetrievalError):
        Filters(min_price=5000, max_price=1000)
    with pytest.raises(RetrievalError):
        Filters(kinds=("recipe",))
