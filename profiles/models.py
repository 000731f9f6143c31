"""Data shapes returned by `ProfileStore` (frozen dataclasses, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.orders import Order, OrderItem

CONSENT_KINDS: tuple[str, ...] = ("personalization", "history", "marketing")
CHANGE_SOURCES: tuple[str, ...] = ("customer", "dialogue", "purchase", "system")


@dataclass(frozen=True)
class Customer:
    id: str
    display_name: str
    age_band: str | None = None
    region: str | None = None
    household_size: int | None = None
    pets: tuple[str, ...] = ()
    persona: str | None = None
    dietary: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    preferred_categories: dict[str, float] = field(default_factory=dict)
    preferred_brands: dict[str, float] = field(default_factory=dict)
    disliked_brands: tuple[str, ...] = ()
    price_sensitivity: str | None = None
    monthly_budget: int | None = None
    has_pin: bool = False
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class Consent:
    """Current consent flags with when each was last set (None: never asked = not granted)."""

    personalization: bool = False
    history: bool = False
    marketing: bool = False
    updated_at: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    id: int
    customer_id: str
    field: str
    value: Any
    source: str
    status: str
    created_at: str
    decided_at: str | None = None


@dataclass(frozen=True)
class CartItem:
    product_id: str
    qty: int
    added_at: str


# Orders are `store.orders`' records; the profile API hands out the same objects.
OrderLine = OrderItem
OrderRecord = Order


@dataclass(frozen=True)
class ChangeLogEntry:
    id: int
    field: str
    old_value: Any
    new_value: Any
    source: str
    created_at: str


@dataclass(frozen=True)
class RankingFeatures:
    """What a re-ranker needs from a profile; an empty instance means "no personalization".

    Affinities are in [-1, 1] (1 = strongest like); `price_band` is (lo, hi) KRW or None.
    `category_score` matches catalog paths "top/mid/leaf" by their longest known prefix:

        >>> f = RankingFeatures(category_affinity={"간식": 0.5, "간식/과자": 1.0})
        >>> f.category_score("간식/과자/스낵"), f.category_score("간식/젤리"), f.category_score("음료")
        (1.0, 0.5, 0.0)
    """

    category_affinity: dict[str, float] = field(default_factory=dict)
    brand_affinity: dict[str, float] = field(default_factory=dict)
    disliked_brands: frozenset[str] = frozenset()
    price_band: tuple[int, int] | None = None
    exclude_allergens: frozenset[str] = frozenset()
    required_tags: frozenset[str] = frozenset()

    def category_score(self, category: str) -> float:
        parts = category.split("/")
        for n in range(len(parts), 0, -1):
            key = "/".join(parts[:n])
            if key in self.category_affinity:
                return self.category_affinity[key]
        leaf = parts[-1]
        return self.category_affinity.get(leaf, 0.0)

    def brand_score(self, brand: str) -> float:
        if brand in self.disliked_brands:
            return -1.0
        return self.brand_affinity.get(brand, 0.0)

    @property
    def is_empty(self) -> bool:
        return not (self.category_affinity or self.brand_affinity or self.disliked_brands
                    or self.price_band or self.exclude_allergens or self.required_tags)
