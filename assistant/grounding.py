"""Grounding: retrieve -> hard filters -> profile re-rank -> top products; policy passages.

Every product returned satisfies every stated constraint (budget on the effective price,
excluded allergens from the message and the profile, required dietary tags, categories,
brands, in stock). The retriever's own filters narrow the search; `satisfies` re-checks each
candidate against the catalog, which stays the single source of truth.
Policy passages: `policy_grounding.py`. Leaves out: understanding the message (`nlu`),
phrasing (`replies`, generators).

Example:
    >>> c = Constraints(budget_max=10000, excluded_allergens=("땅콩",))
    >>> c.describe()
    ['10,000원 이하', '땅콩 제외']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from assistant.facts import ProductFact, effective_price, won
# Food scope (store.domain): a profile's dietary tags (비건...) do not apply to non-food goods,
# so a vegan shopper can still find detergent. Allergens always apply.
from store.domain import is_food
from store.domain import substitutes as _substitutes



@dataclass(frozen=True)
class ProfileView:
    """What grounding needs from a customer's profile (duck-typed from profiles.RankingFeatures)."""

    exclude_allergens: frozenset[str] = frozenset()
    required_tags: frozenset[str] = frozenset()
    category_affinity: dict = field(default_factory=dict, hash=False)
    brand_affinity: dict = field(default_factory=dict, hash=False)
    disliked_brands: frozenset[str] = frozenset()
    price_band: tuple[int, int] | None = None

    @classmethod
    def from_features(cls, f) -> "ProfileView":
        if f is None:
            return cls()
        return cls(exclude_allergens=frozenset(getattr(f, "exclude_allergens", ()) or ()),
                   required_tags=frozenset(getattr(f, "required_tags", ()) or ()),
                   category_affinity=dict(getattr(f, "category_affinity", {}) or {}),
                   brand_affinity=dict(getattr(f, "brand_affinity", {}) or {}),
                   disliked_brands=frozenset(getattr(f, "disliked_brands", ()) or ()),
                   price_band=getattr(f, "price_band", None))


@dataclass(frozen=True)
class Constraints:
    budget_min: int | None = None
    budget_max: int | None = None
    categories: tuple[str, ...] = ()        # category paths or any path segment ("간식", "과자")
    required_tags: tuple[str, ...] = ()     # from the message: apply to every product
    profile_tags: tuple[str, ...] = ()      # from the profile: apply to food products only
    excluded_allergens: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    avoid_brands: tuple[str, ...] = ()
    delivery: str | None = None             # "새벽" / "당일" when the shopper is in a hurry
    in_stock: bool = True
    keywords: tuple[str, ...] = ()          # words the name or category path must contain (any)

    def describe(self, food: bool = True) -> list[str]:
        """Korean phrases for the constraints applied, shown to the shopper (profile tags
        only when the results include food, the only place they apply)."""
        out: list[str] = []
        if self.budget_min is not None and self.budget_max is not None:
            out.append(f"{won(self.budget_min)}~{won(self.budget_max)}")
        elif self.budget_max is not None:
            out.append(f"{won(self.budget_max)} 이하")
        elif self.budget_min is not None:
            out.append(f"{won(self.budget_min)} 이상")
        out += list(dict.fromkeys(self.required_tags + (self.profile_tags if food else ())))
        out += [f"{b} 브랜드" for b in self.brands]
        out += [f"{b} 제외" for b in self.avoid_brands]
        out += [f"{a} 제외" for a in self.excluded_allergens]
        if self.delivery:
            out.append(f"{self.delivery}배송")
        return out


def constraints_from(slots, profile: ProfileView | None = None) -> Constraints:
    """Merge the message's slots with the profile's standing constraints."""
    profile = profile or ProfileView()
    allergens = tuple(dict.fromkeys(tuple(slots.allergens) + tuple(sorted(profile.exclude_allergens))))
    msg_tags = tuple(slots.dietary_tags)
    prof_tags = tuple(t for t in sorted(profile.required_tags) if t not in msg_tags)
    urgency = slots.urgency if slots.urgency in ("새벽", "당일") else None
    avoid = tuple(dict.fromkeys(tuple(slots.avoid_brands) + tuple(sorted(profile.disliked_brands - set(slots.brands)))))
    return Constraints(budget_min=slots.budget_min, budget_max=slots.budget_max, categories=tuple(slots.categories),
                       required_tags=msg_tags, profile_tags=prof_tags, excluded_allergens=allergens,
                       brands=tuple(slots.brands), avoid_brands=avoid, delivery=urgency)




def violations(product, c: Constraints, stock: int | None = None) -> list[str]:
    """Every constraint `product` breaks (empty list = acceptable)."""
    out: list[str] = []
    price = effective_price(product)
    if c.budget_max is not None and price > c.budget_max:
        out.append("budget_max")
    if c.budget_min is not None and price < c.budget_min:
        out.append("budget_min")
    tags = set(product.tags)
    if any(t not in tags for t in c.required_tags):
        out.append("required_tags")
    if c.profile_tags and is_food(product) and any(t not in tags for t in c.profile_tags):
        out.append("profile_tags")
    if set(product.allergens) & set(c.excluded_allergens):
        out.append("allergens")
    if c.categories:
        segments = product.category.split("/")
        if not any(cat == product.category or cat in segments for cat in c.categories):
            out.append("category")
    if c.keywords and not any(k in product.name or k in product.category for k in c.keywords):
        out.append("keyword")
    if c.brands and product.brand not in c.brands:
        out.append("brand")
    if product.brand in c.avoid_brands:
        out.append("avoid_brand")
    if c.delivery == "새벽" and getattr(product, "delivery", "새벽") != "새벽":
        out.append("delivery")
    if c.delivery == "당일" and getattr(product, "delivery", "당일") not in ("새벽", "당일"):
        out.append("delivery")
    level = product.stock if stock is None else stock
    if c.in_stock and level <= 0:
        out.append("stock")
    return out


def satisfies(product, c: Constraints, stock: int | None = None) -> bool:
    return not violations(product, c, stock)


def retriever_filters(c: Constraints, kinds: tuple[str, ...] = ("product",)):
    """The retrieval package's Filters for these constraints, or None when it is unavailable.

    Only filters the retriever applies exactly are passed (price, allergens, message tags,
    stock); categories and brands are checked afterwards because their spelling in a message
    may not match the index metadata.
    """
    try:
        from retrieval import Filters
    except Exception:  # package not installed/ready: post-filtering alone stays correct
        return None
    try:
        return Filters(min_price=c.budget_min, max_price=c.budget_max, required_tags=tuple(c.required_tags),
                       excluded_allergens=tuple(c.excluded_allergens), in_stock=c.in_stock, kinds=kinds)
    except TypeError:
        return None


def rerank_score(product, base: float, profile: ProfileView) -> float:
    """Retrieval score plus small profile bonuses (category/brand affinity, price band)."""
    score = base
    aff = profile.category_affinity
    if aff:
        parts = product.category.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        known = [aff[p] for p in prefixes if p in aff]   # longest known prefix wins
        score += 0.15 * float(known[-1]) if known else 0.0
    score += 0.1 * float(profile.brand_affinity.get(product.brand, 0.0))
    if profile.price_band:
        lo, hi = profile.price_band
        if lo <= effective_price(product) <= hi:
            score += 0.05
    score += 0.01 * float(getattr(product, "rating", 0.0))
    return score


def sort_products(products: list, sort: str | None) -> list:
    if sort == "price_asc":
        return sorted(products, key=lambda p: (effective_price(p), p.id))
    if sort == "price_desc":
        return sorted(products, key=lambda p: (-effective_price(p), p.id))
    if sort == "rating":
        return sorted(products, key=lambda p: (-float(getattr(p, "rating", 0.0)), p.id))
    return products


def search_text(slots, message: str) -> str:
    words = list(slots.keywords) + list(slots.categories) + list(slots.dietary_tags) + list(slots.brands)
    return " ".join(dict.fromkeys(w for w in words if w)) or message


def ground_products(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None = None,
                    k: int = 3, sort: str | None = None, stock=None, pool: int = 60) -> list[ProductFact]:
    """Top-k products for `query` that satisfy every constraint, as product cards."""
    profile = profile or ProfileView()
    hits = list(retriever.search(query, k=pool, filters=retriever_filters(c)) or [])
    scored: dict[str, float] = {}
    n = max(len(hits), 1)
    for rank, hit in enumerate(hits):
        if getattr(hit, "kind", "product") != "product":
            continue
        pid = hit.id.split("#")[0]
        product = catalog.get(pid)
        if product is None or pid in scored:
            continue
        level = _level(stock, product)
        if satisfies(product, c, level):
            scored[pid] = rerank_score(product, 1.0 - rank / n, profile)
    ranked = sorted(scored, key=lambda pid: -scored[pid])
    chosen = sort_products([catalog[pid] for pid in ranked], sort)[:k]
    return [_card(p, stock, catalog, c) for p in chosen]


def _level(stock, product) -> int:
    if stock is not None and hasattr(stock, "level"):
        try:
            return int(stock.level(product.id))
        except Exception:  # ledger lacks this product: the catalog figure is the fallback
            return int(product.stock)
    return int(product.stock)


def _card(product, stock, catalog: dict, c: Constraints) -> ProductFact:
    """Card with '품절 임박' and substitutes when the store's forecast provides them."""
    level = _level(stock, product)
    low, subs = False, ()
    risk = getattr(stock, "stockout_risk", None)
    if callable(risk):
        try:
            low = bool(risk(product.id))
        except Exception:  # no forecast for this product
            low = False
    if low:
        subs = tuple(s.id for s in substitutes_for(product, catalog, c, stock))
    return ProductFact.from_product(product, stock=level, low_stock=low, substitutes=subs)


def substitutes_for(product, catalog: dict, c: Constraints | None = None, stock=None, k: int = 3) -> list:
    """Same leaf category, in stock, same allergen safety, closest price (store's when available)."""
    c = c or Constraints()
    return _substitutes(product, catalog, level=lambda p: _level(stock, p), k=k,
                        accept=lambda p: satisfies(p, c, _level(stock, p)))


def ids(products: Iterable) -> list[str]:
    return [p.id for p in products]
