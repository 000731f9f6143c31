"""Filter plumbing: chunk metadata for chromadb and `Filters` as a chromadb `where` clause.

The semantics live in `Filters.matches` (pure Python, used for the BM25 mask); `to_where`
expresses the same constraints for chromadb so the dense stage filters before ranking too.
A test checks both agree on a hand-made corpus.

Example:
    >>> to_where(Filters(max_price=5000, kinds=("product",)))
    {'$and': [{'kind': {'$in': ['product']}}, {'price': {'$lte': 5000}}]}
"""

from __future__ import annotations

from typing import Any, Mapping

from retrieval.types import Filters, category_keys


def chunk_metadata(doc_id: str, kind: str, meta: Mapping[str, Any], content_hash: str) -> dict[str, Any]:
    """Flat chromadb metadata: scalars plus non-empty string lists (chromadb rejects empty ones)."""
    out: dict[str, Any] = {"doc_id": doc_id, "kind": kind, "h": content_hash}
    if meta.get("price") is not None:
        out["price"] = int(meta["price"])
    if meta.get("stock") is not None:
        out["stock"] = int(meta["stock"])
    if meta.get("category"):
        out["cats"] = category_keys(str(meta["category"]))
    for key in ("tags", "allergens"):
        values = [str(v) for v in (meta.get(key) or ()) if str(v)]
        if values:
            out[key] = values
    return out


def to_where(filters: Filters | None) -> dict[str, Any] | None:
    """chromadb `where` for `filters`; None when there is nothing to filter."""
    if filters is None or filters.is_empty:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.min_price is not None:
        clauses.append({"price": {"$gte": int(filters.min_price)}})
    if filters.max_price is not None:
        clauses.append({"price": {"$lte": int(filters.max_price)}})
    if filters.categories:
        cats = [{"cats": {"$contains": c}} for c in filters.categories]
        clauses.append(cats[0] if len(cats) == 1 else {"$or": cats})
    clauses += [{"tags": {"$contains": t}} for t in filters.required_tags]
    clauses += [{"allergens": {"$not_contains": a}} for a in filters.excluded_allergens]
    if filters.in_stock:
        clauses.append({"stock": {"$gt": 0}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def constraints_to_filters(constraints: Mapping[str, Any] | None) -> Filters | None:
    """Filters from a constraint dict as in `data/eval/queries_*.jsonl` or the assistant's
    slots: keys `min_price`, `max_price`, `category` | `categories`, `required_tags`,
    `excluded_allergens`, `in_stock`, `kinds`. Unknown keys are ignored.

    >>> constraints_to_filters({"category": "간식·과자", "max_price": 5000}).categories
    ('간식·과자',)
    """
    if not constraints:
        return None
    cats = constraints.get("categories") or constraints.get("category") or ()
    f = Filters(min_price=constraints.get("min_price"), max_price=constraints.get("max_price"),
                categories=(cats,) if isinstance(cats, str) else tuple(cats),
                required_tags=tuple(constraints.get("required_tags") or ()),
                excluded_allergens=tuple(constraints.get("excluded_allergens") or ()),
                in_stock=bool(constraints.get("in_stock", False)),
                kinds=tuple(constraints.get("kinds") or ()))
    return None if f.is_empty else f
