"""Learning about a customer: proposals from dialogue (facts only after confirmation),
preference signals from purchases and feedback (decaying with time), and the ranking
features built from both.

Dialogue learning needs the personalization consent: without it `propose` stores nothing
and returns None. Signals are kept only with that consent, and `ranking_features` uses
affinities and the price band only with it; allergens and required dietary tags are
always returned, because they are explicit, safety-relevant filters the customer set.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from profiles._base import StoreBase, dumps, iso, parse_iso
from profiles.commerce import NOT_PURCHASED
from profiles.errors import ProposalError, ValidationError
from profiles.models import Proposal, RankingFeatures
from profiles.validation import LIST_FIELDS, PROFILE_FIELDS, WEIGHT_FIELDS, clean

# Synonym groups of allergen names: excluding one name excludes the whole group.
ALLERGEN_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"알류", "난류", "계란", "달걀"}, {"우유", "유제품"}, {"대두", "콩"},
    {"밀", "밀가루", "글루텐"}, {"쇠고기", "소고기"}, {"조개류", "조개", "굴", "전복", "홍합"},
))
# Dietary rules as customers say them -> the catalog tag that satisfies them. Unknown rules
# pass through unchanged (and are dropped by `known_tags` when the caller gives it).
DIETARY_TAGS: dict[str, str] = {
    "채식": "비건", "채식주의": "비건", "비건": "비건", "유당불내증": "락토프리",
    "락토프리": "락토프리", "글루텐프리": "글루텐프리", "저염": "저염", "저염식": "저염",
    "저당": "저당", "저당식": "저당", "무가당": "무가당", "저지방": "저지방", "고단백": "고단백",
}
K = TypeVar("K")
SIGNAL_SCALE = 3.0      # decayed signal mass giving tanh(1) = 0.76 learned affinity
_PRICE_BAND = {"low": (0.3, 2.5), "medium": (0.5, 1.5), "high": (0.5, 1.1)}
MIN_PRICED_ITEMS = 3


def decay(age_days: float, half_life_days: float) -> float:
    """Weight of a signal `age_days` old: 1 now, 0.5 after one half-life.

        >>> decay(0, 30), decay(30, 30), decay(60, 30)
        (1.0, 0.5, 0.25)
    """
    return 0.5 ** (max(0.0, age_days) / half_life_days)


def learned_scores(mass: dict[K, float]) -> dict[K, float]:
    """Decayed signal mass per key -> learned affinity in [-1, 1] (keys of one level).

    Likes are relative to the most-bought key, scaled by how much evidence there is
    (tanh of that key's mass), so a long history keeps keys apart instead of saturating
    them all at 1; dislikes (negative mass) count on their own.

        >>> {k: round(v, 2) for k, v in learned_scores({"a": 30.0, "b": 15.0, "c": -3.0}).items()}
        {'a': 1.0, 'b': 0.5, 'c': -0.76}
        >>> round(learned_scores({"a": 3.0})["a"], 2)
        0.76
    """
    top = max((m for m in mass.values() if m > 0), default=0.0)
    confidence = math.tanh(top / SIGNAL_SCALE)
    return {k: (m / top) * confidence if m > 0 else math.tanh(m / SIGNAL_SCALE)
            for k, m in mass.items()}


def combine(stated: float, learned: float) -> float:
    """Stated weight plus the learned part filling the remaining headroom, in [-1, 1].

        >>> combine(0.0, 0.0), combine(0.0, 0.76), round(combine(0.8, 0.76), 2)
        (0.0, 0.76, 0.95)
    """
    return max(-1.0, min(1.0, stated + (1.0 - abs(stated)) * learned))


def expand_allergens(names: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        out.add(name)
        for group in ALLERGEN_GROUPS:
            if name in group:
                out |= group
    return frozenset(out)


def price_band(prices: list[int], sensitivity: str | None) -> tuple[int, int] | None:
    """(lo, hi) KRW around the 10th-90th percentile of past unit prices, or None.

        >>> price_band([1000, 2000, 3000, 4000, 5000], "high")
        (500, 5500)
    """
    if len(prices) < MIN_PRICED_ITEMS:
        return None
    ordered = sorted(prices)
    p10 = ordered[int(0.1 * (len(ordered) - 1))]
    p90 = ordered[math.ceil(0.9 * (len(ordered) - 1))]
    lo_mult, hi_mult = _PRICE_BAND.get(sensitivity or "medium", _PRICE_BAND["medium"])
    return int(p10 * lo_mult), int(round(p90 * hi_mult))


class LearningMixin(StoreBase):
    # -- proposals ---------------------------------------------------------------------
    def propose(self, customer_id: str | None, field: str, value: Any, *,
                source: str = "dialogue", now: datetime | None = None) -> int | None:
        """Record a pending change ("저 비건이에요" -> dietary += 비건); returns its id, or
        None when nothing may be stored (anonymous, or no personalization consent).
        List fields are added to, weight fields merged, other fields replaced."""
        if customer_id is None:
            return None
        if field not in PROFILE_FIELDS or field == "display_name":
            raise ValidationError("field", f"cannot propose {field!r}",
                                  "대화로는 바꿀 수 없는 항목이에요.")
        value = clean(field, value)
        ts = iso(now)

        def run() -> int | None:
            self._require(customer_id, "propose")
            if not self._consented(customer_id, "personalization"):
                return None
            cur = self.db.conn.execute(
                "INSERT INTO proposals (customer_id, field, value, source, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (customer_id, field, dumps(value), source, ts))
            return int(cur.lastrowid)
        return self._write(run)

    def _proposal(self, proposal_id: int) -> Proposal | None:
        rows = self._rows("SELECT * FROM proposals WHERE id = ?", (proposal_id,))
        if not rows:
            return None
        row = rows[0]
        value = json.loads(row.pop("value"))
        return Proposal(value=tuple(value) if isinstance(value, list) else value, **row)

    def pending(self, customer_id: str | None) -> list[Proposal]:
        if customer_id is None:
            return []
        def run() -> list[Proposal]:
            ids = [r[0] for r in self.db.conn.execute(
                "SELECT id FROM proposals WHERE customer_id = ? AND status = 'pending' "
                "ORDER BY id", (customer_id,))]
            return [p for p in map(self._proposal, ids) if p is not None]
        return self._read(run)

    def _decide(self, proposal_id: int, status: str, now: datetime | None) -> Proposal:
        ts = iso(now)

        def run() -> Proposal:
            proposal = self._proposal(proposal_id)
            if proposal is None or proposal.status != "pending":
                raise ProposalError(proposal_id, None if proposal is None else proposal.status)
            if status == "confirmed":
                current = self._load(proposal.customer_id)
                new = proposal.value
                if proposal.field in LIST_FIELDS:
                    new = clean(proposal.field, [*getattr(current, proposal.field), *new])
                elif proposal.field in WEIGHT_FIELDS:
                    new = {**getattr(current, proposal.field), **new}
                self._apply_changes(proposal.customer_id, {proposal.field: new}, "dialogue", ts)
            self.db.conn.execute("UPDATE proposals SET status = ?, decided_at = ? WHERE id = ?",
                                 (status, ts, proposal_id))
            return self._proposal(proposal_id)  # type: ignore[return-value]
        return self._write(run)

    def confirm(self, proposal_id: int, *, now: datetime | None = None) -> Proposal:
        """Apply a pending proposal to the profile (change log source: dialogue)."""
        return self._decide(proposal_id, "confirmed", now)

    def reject(self, proposal_id: int, *, now: datetime | None = None) -> Proposal:
        return self._decide(proposal_id, "rejected", now)

    # -- signals -----------------------------------------------------------------------
    def record_signals(self, customer_id: str | None, products: Iterable[tuple[str, str]], *,
                       weight: float = 1.0, source: str = "purchase",
                       now: datetime | None = None) -> int:
        """Add preference signals for (category, brand) pairs; returns rows written
        (0 when anonymous or without personalization consent)."""
        if customer_id is None:
            return 0
        products = list(products)
        ts = iso(now)

        def run() -> int:
            self._require(customer_id, "record_signals")
            if not self._consented(customer_id, "personalization"):
                return 0
            return self._add_signals(customer_id, products, weight, source, ts)
        return self._write(run)

    def ranking_features(self, customer_id: str | None, now: datetime | None = None, *,
                         known_tags: Collection[str] | None = None) -> RankingFeatures:
        """Turn the profile into re-ranking features (empty for anonymous or unknown ids).
        `known_tags`, when given, keeps only dietary rules that are catalog tags."""
        if customer_id is None:
            return RankingFeatures()
        at = parse_iso(iso(now))
        # One search turn asks several times (the search, each card's bought-together) within
        # the same second: the result depends only on the database and `at` (whole seconds),
        # so it is reused while neither changed (docs/benchmarks/load.md).
        key = (customer_id, at, None if known_tags is None else frozenset(known_tags))
        with self._lock:
            version = self._data_version()
            hit = self._features_memo.get(key)
            if version is not None and hit is not None and hit[0] == version:
                features = hit[1]
            else:
                features = self._read(lambda: self._features(customer_id, at, known_tags))
                if version is not None:
                    if len(self._features_memo) >= 256:
                        self._features_memo.clear()
                    self._features_memo[key] = (version, features)
        # callers get their own dicts (the dataclass is frozen, its dicts are not)
        return replace(features, category_affinity=dict(features.category_affinity),
                       brand_affinity=dict(features.brand_affinity))

    def _features(self, customer_id: str, at: datetime,
                  known_tags: Collection[str] | None) -> RankingFeatures:
        customer = self._load(customer_id)
        if customer is None:
            return RankingFeatures()
        tags = frozenset(DIETARY_TAGS.get(rule, rule) for rule in customer.dietary)
        if known_tags is not None:
            tags &= frozenset(known_tags)
        safety = dict(exclude_allergens=expand_allergens(customer.allergies), required_tags=tags)
        if not self._consented(customer_id, "personalization"):
            return RankingFeatures(**safety)
        mass: dict[tuple[str, str], float] = {}
        factor: dict[str, float] = {}  # one decay factor per distinct timestamp
        for kind, key, weight, created in self.db.conn.execute(
                "SELECT kind, key, SUM(weight), created_at FROM signals WHERE customer_id = ? "
                "GROUP BY kind, key, created_at", (customer_id,)):
            if created not in factor:
                age = (at - parse_iso(created)).total_seconds() / 86400
                factor[created] = decay(age, self.half_life_days)
            mass[(kind, key)] = mass.get((kind, key), 0.0) + weight * factor[created]
        affinity: dict[str, dict[str, float]] = {"category": {}, "brand": {}}
        stated = {"category": customer.preferred_categories, "brand": customer.preferred_brands}
        learned: dict[tuple[str, str], float] = {}
        for level in {(kind, key.count("/")) for kind, key in mass}:  # compare like with like
            learned.update(learned_scores({(kind, key): m for (kind, key), m in mass.items()
                                           if (kind, key.count("/")) == level}))
        for kind in affinity:
            keys = set(stated[kind]) | {k for (kd, k) in mass if kd == kind}
            for key in sorted(keys):
                value = combine(stated[kind].get(key, 0.0), learned.get((kind, key), 0.0))
                if abs(value) >= 0.01:
                    affinity[kind][key] = round(value, 4)
        disliked = set(customer.disliked_brands) | {
            b for b, v in affinity["brand"].items() if v <= -0.5}
        prices = [r[0] for r in self.db.conn.execute(
            "SELECT i.unit_price FROM order_items i JOIN orders o ON o.id = i.order_id "
            "WHERE o.customer_id = ? AND i.unit_price > 0 AND o.status NOT IN "
            f"({','.join('?' * len(NOT_PURCHASED))})", (customer_id, *NOT_PURCHASED))]
        return RankingFeatures(category_affinity=affinity["category"],
                               brand_affinity=affinity["brand"], disliked_brands=frozenset(disliked),
                               price_band=price_band(prices, customer.price_sensitivity), **safety)
