"""Metrics and the eval command on a tiny corpus (hashing embedder, no model)."""

import json

import pytest

from retrieval import eval as reval
from retrieval.korquad import convert
from retrieval.metrics import aggregate, percentile, score_query


def test_score_query_single_relevant():
    m = score_query([("a",), ("b",), ("c",)], {"b"}, k=10)
    assert m == {"recall@1": 0.0, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 0.5,
                 "ndcg@10": pytest.approx(1 / 1.5849625007211563)}
    assert score_query([], {"b"})["mrr@10"] == 0.0


def test_score_query_passage_ids_and_multiple_relevant():
    ranked = [("배송-01", "배송-01#2"), ("P1", "P1#1"), ("P2", "P2#1")]
    m = score_query(ranked, {"배송-01#2", "P2"}, k=10)
    assert m["recall@1"] == 0.5 and m["recall@5"] == 1.0 and m["mrr@10"] == 1.0
    assert 0.9 < m["ndcg@10"] < 1.0


def test_percentile_and_aggregate():
    assert percentile([5, 1, 3, 2, 4], 50) == 3 and percentile([1, 2, 3, 4], 95) == 4
    agg = aggregate([{"mrr@10": 1.0}, {"mrr@10": 0.0}], [1.0, 3.0])
    assert agg["mrr@10"] == 0.5 and agg["latency_ms"] == {"p50": 1.0, "p95": 3.0} and agg["n"] == 2


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_eval_command_json_shape(tmp_path, capsys):
    corpus, queries = tmp_path / "c.jsonl", tmp_path / "q.jsonl"
    _write(corpus, [{"id": "d1", "title": "요거트", "text": "설탕 없는 그릭요거트"},
                    {"id": "d2", "text": "초코 프로틴바 12입"},
                    {"id": "d3", "title": "배송", "text": "새벽배송은 밤 11시까지 주문"}])
    _write(queries, [{"id": "q1", "query": "무설탕 요거트", "relevant": ["d1"], "type": "product"},
                     {"id": "q2", "query": "protein bar", "relevant": ["d2"], "type": "product"},
                     {"id": "q3", "query": "새벽 배송 마감", "relevant": ["d3"], "type": "policy"},
                     {"id": "q4", "query": "😀", "relevant": ["d3"], "type": "policy"}])
    assert reval.main(["--corpus", str(corpus), "--queries", str(queries), "--modes",
                       "bm25-whitespace,bm25,dense,hybrid,hybrid-rrf", "--k", "10", "--json",
                       "--embedder", "hashing", "--alphas", "0.3,0.7", "--index", str(tmp_path / "idx")]) == 0
    out = json.loads(capsys.readouterr().out)
    for mode in ("bm25-whitespace", "bm25", "dense", "hybrid", "hybrid-rrf"):
        assert set(out[mode]) >= {"recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "latency_ms"}
        assert set(out[mode]["latency_ms"]) >= {"p50", "p95"}
    assert out["hybrid"]["mrr@10"] == pytest.approx(0.75)  # 3 found first, the emoji query fails cleanly
    assert out["bm25-whitespace"]["mrr@10"] < out["bm25"]["mrr@10"]  # "protein bar" needs the analyzer
    assert set(out["_by_type"]) == {"product", "policy"} and set(out["_alpha_sweep"]) == {"0.3", "0.7"}


def test_eval_table_output(tmp_path, capsys):
    corpus, queries = tmp_path / "c.jsonl", tmp_path / "q.jsonl"
    _write(corpus, [{"id": "d1", "text": "두유 1L"}, {"id": "d2", "text": "우유 1L"}])
    _write(queries, [{"id": "q1", "query": "두유", "relevant": ["d1"]}])
    reval.main(["--corpus", str(corpus), "--queries", str(queries), "--modes", "bm25",
                "--embedder", "hashing", "--latency-sample", "1"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("mode") and "bm25" in out


def test_korquad_converter(tmp_path):
    src = tmp_path / "kq.json"
    src.write_text(json.dumps({"data": [{"title": "서울", "paragraphs": [
        {"context": "서울은 대한민국의 수도이다.", "qas": [{"id": "q1", "question": "대한민국의 수도는?",
                                                  "answers": [{"text": "서울", "answer_start": 0}]}]}]}]},
                              ensure_ascii=False), encoding="utf-8")
    corpus, queries = convert(src, tmp_path / "out")
    assert json.loads(corpus.read_text().splitlines()[0]) == {"id": "kq0001", "title": "서울",
                                                             "text": "서울은 대한민국의 수도이다."}
    assert json.loads(queries.read_text().splitlines()[0])["relevant"] == ["kq0001"]
