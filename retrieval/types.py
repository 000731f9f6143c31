"""Data shapes of the retrieval package: documents in, hits out, filters between.

Pure data, no I/O. `Filters.matches(meta)` is the one definition of what a filter means;
`retrieval.filters` translates the same semantics into a chromadb `where` clause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

KINDS = ("product", "policy", "other")


class RetrievalError(Exception):
    """A retrieval failure a user can cause or see (bad query, missing/corrupt index).

    `str(err)` is English for logs; `err.user_message` is Korean for the UI.
    """

    def __init__(self, message: str, user_message: str = "검색 중 문제가 발생했어요. 잠시 후 다시 시도해 주세요.") -> None:
        super().__init__(message)
        self.user_message = user_message


@dataclass(frozen=True)
class Doc:
    """One retrievable document. `meta` carries filter fields for products:
    `price` (effective price, int), `category` ("top/mid/leaf"), `tags`, `allergens`, `stock`.
    `chunks`: ready-made passages (e.g. policy `##` sections, ids `배송-01#1`, `#2`, ...);
    when empty the index cuts `text` into passages that fit the embedder.
    """

    id: str
    text: str
    title: str = ""
    kind: str = "other"
    meta: Mapping[str, Any] = field(default_factory=dict)
    chunks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Doc.kind must be one of {KINDS}, got {self.kind!r}")
        if not self.id:
            raise ValueError("Doc.id must not be empty")


@dataclass(frozen=True)
class Filters:
    """Hard constraints applied before ranking. `None`/empty means "no constraint".

    - price bounds are inclusive and apply to the effective (sale) price in `meta["price"]`;
    - `categories` match the full path ("식품/유제품/요거트"), any path prefix ("식품/유제품"),
      or any single level name ("요거트");
    - `required_tags`: all must be present; `excluded_allergens`: none may be present;
    - `in_stock`: `meta["stock"] > 0`; `kinds`: restrict to product/policy/other.
    Documents without a price/stock (policies) fail price/stock constraints only when those
    are set, so combine them with `kinds=("product",)` as a caller would anyway.
    """

    min_price: int | None = None
    max_price: int | None = None
    categories: tuple[str, ...] = ()
    required_tags: tuple[str, ...] = ()
    excluded_allergens: tuple[str, ...] = ()
    in_stock: bool = False
    kinds: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("categories", "required_tags", "excluded_allergens", "kinds"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value or ()))
        bad = [k for k in self.kinds if k not in KINDS]
        if bad:
            raise RetrievalError(f"unknown kinds in filter: {bad}", "알 수 없는 문서 종류로 검색할 수 없어요.")
        if (self.min_price is not None and self.max_price is not None
                and self.min_price > self.max_price):
            raise RetrievalError(f"min_price {self.min_price} > max_price {self.max_price}",
                                 "최소 가격이 최대 가격보다 커요. 가격 범위를 다시 알려 주세요.")

    @property
    def is_empty(self) -> bool:
        return (self.min_price is None and self.max_price is None and not self.categories
                and not self.required_tags and not self.excluded_allergens
                and not self.in_stock and not self.kinds)

    def matches(self, kind: str, meta: Mapping[str, Any]) -> bool:
        """True when a document of `kind` with metadata `meta` passes every constraint."""
        if self.kinds and kind not in self.kinds:
            return False
        if self.min_price is not None or self.max_price is not None:
            price = meta.get("price")
            if price is None:
                return False
            if self.min_price is not None and price < self.min_price:
                return False
            if self.max_price is not None and price > self.max_price:
                return False
        if self.categories:
            paths = set(category_keys(str(meta.get("category", ""))))
            if not paths.intersection(self.categories):
                return False
        tags = set(meta.get("tags") or ())
        if any(t not in tags for t in self.required_tags):
            return False
        allergens = set(meta.get("allergens") or ())
        if any(a in allergens for a in self.excluded_allergens):
            return False
        if self.in_stock and int(meta.get("stock", 0) or 0) <= 0:
            return False
        return True


from store.domain import category_keys  # noqa: E402  (one home: store.domain)


@dataclass(frozen=True)
class Hit:
    """One ranked document. `passage` is its best-matching chunk; `scores` holds the
    component scores (`bm25`, `dense`, `fused`; raw, before normalization)."""

    id: str
    kind: str
    title: str
    score: float
    passage: str
    scores: Mapping[str, float] = field(default_factory=dict)
    passage_id: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
