"""The benchmark command's building blocks on a tiny synthetic corpus."""

from retrieval.bench import one, synthetic_docs, synthetic_queries


def test_synthetic_corpus_is_deterministic():
    a, b = synthetic_docs(20), synthetic_docs(20)
    assert [d.text for d in a] == [d.text for d in b] and len({d.id for d in a}) == 20
    assert synthetic_queries(5) == synthetic_queries(5)


def test_one_size_reports_build_and_latency():
    out = one(60, "hashing-chars", 10, "~/.cache/jangbogi")
    assert out["docs"] == 60 and out["passages"] == 60 and out["build_s"] > 0
    assert out["peak_rss_mb"] > 50 and out["bm25s_ms"]["n"] == 10
    assert 0 <= out["rank_bm25_ms"]["same_top1"] <= 10
