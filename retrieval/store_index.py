"""The store's index: catalog products and policy sections as `Doc`s, opened or (re)built.

`open_store_index` is the one entry point the assistant uses: it opens the live index when
it matches the catalog, policies and embedding model, and otherwise builds a new one aside
(reusing every unchanged passage's vector) before swapping it in. Leaves out: reading
files (callers pass `store.load_catalog` / `store.load_policies` results).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from retrieval.analyzer import Analyzer, user_words_from_catalog
from retrieval.chunking import doc_hash
from retrieval.fusion import DEFAULT_ALPHA
from retrieval.index import IndexStore, Progress
from retrieval.retriever import HybridRetriever
from retrieval.types import Doc, RetrievalError


def product_doc(p: Any) -> Doc:
    """A catalog `Product` as a document: name, brand, unit, category path and description
    for search; effective price, category, tags, allergens and stock as filter metadata."""
    cats = p.category.replace("/", " > ")
    lines = [f"{p.brand} {p.name} {p.unit}".strip(), cats, p.description.strip()]
    if p.tags:
        lines.append("특징: " + ", ".join(p.tags))
    # Allergens stay out of the text: "우유 알레르기 간식" asks for milk-free products, and
    # matching the word would rank exactly the wrong ones first. They are filter metadata.
    extra = [f"원산지 {p.origin}" if p.origin else "", f"보관 {p.storage}" if p.storage else "",
             f"{p.delivery}배송" if p.delivery else ""]
    lines.append(" · ".join(x for x in extra if x))
    meta = {"price": p.effective_price, "list_price": p.price, "category": p.category,
            "tags": list(p.tags), "allergens": list(p.allergens), "stock": p.stock,
            "brand": p.brand, "unit": p.unit, "rating": p.rating}
    return Doc(p.id, "\n".join(x for x in lines if x), p.name, "product", meta)


def policy_doc(d: Any) -> Doc:
    """A `PolicyDoc` as a document whose passages are its `##` sections (`배송-01#1`, ...)."""
    sections = tuple(f"{head}\n{text}".strip() for head, text in d.sections) or (d.body,)
    return Doc(d.id, d.body, d.title, "policy", {"category": d.category}, chunks=sections)


def catalog_user_words(products: Iterable[Any]) -> list[str]:
    """Kiwi dictionary words from the catalog: brands, tags and category names."""
    words: list[str] = []
    for p in products:
        words.append(p.brand)
        words.extend(p.tags)
        words.extend(p.category.split("/"))
    return user_words_from_catalog(words)


def _tqdm_progress() -> Callable[[str, int, int], None]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="passage")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return report


def open_index(docs: Sequence[Doc], index_dir: str | Path, embedder, alpha: float = DEFAULT_ALPHA,
               progress: Progress | bool = None, analyzer: Analyzer | None = None,
               engine: str = "bm25s", fuser=None) -> HybridRetriever:
    """Open the index under `index_dir` if it holds exactly `docs`; else (re)build it."""
    analyzer = analyzer or Analyzer()
    if progress is True:
        progress = _tqdm_progress()
    store = IndexStore(index_dir, embedder, analyzer, engine=engine)
    manifest = store.read_manifest()
    want = {d.id: doc_hash(d) for d in docs}
    data = None
    if store.is_compatible(manifest) and {k: v["hash"] for k, v in manifest["docs"].items()} == want:
        try:
            data = store.open()
        except RetrievalError:
            data = None  # corrupt or interrupted edit: rebuild below
    if data is None:
        store.build(docs, progress=progress or None)
        data = store.open()
    return HybridRetriever(store, data, embedder, analyzer, alpha=alpha, fuser=fuser)


def open_store_index(products: Sequence[Any], policies: Sequence[Any], index_dir: str | Path,
                     embedder, alpha: float = DEFAULT_ALPHA, progress: Progress | bool = None) -> HybridRetriever:
    """The store's retriever over `products` and `policies` (see module docstring)."""
    docs = [product_doc(p) for p in products] + [policy_doc(d) for d in policies]
    analyzer = Analyzer(user_words=catalog_user_words(products))
    return open_index(docs, index_dir, embedder, alpha=alpha, progress=progress, analyzer=analyzer)
