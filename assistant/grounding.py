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

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence

from assistant.facts import ProductFact, effective_price, unit_price, won
from assistant.rerank import (
    ItemQuery,
    core_of,
    head_of,
    is_item,
    item_rows,
    item_shelves,
    kind_match,
    kind_words,
    noun_family,
    on_named_shelf,
    phrase_match,
    size_match,
    tier,
    words_match,
)
from assistant.rerank import score as item_score

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




# A diet a food meets by what it is made of, whether or not its listing carries the tag: lactose
# is milk's sugar, so a food whose labeled allergens have no 우유 is lactose-free (a 식빵 without
# milk for "유당불내증이라"). The retriever filters on listed tags only, so these are checked here.
IMPLIED_BY_ALLERGENS = {"락토프리": "우유"}


def implied_tags(product) -> set[str]:
    """The `IMPLIED_BY_ALLERGENS` diets a food meets by its allergen list."""
    if not is_food(product):
        return set()
    return {tag for tag, allergen in IMPLIED_BY_ALLERGENS.items() if allergen not in product.allergens}


def violations(product, c: Constraints, stock: int | None = None) -> list[str]:
    """Every constraint `product` breaks (empty list = acceptable)."""
    out: list[str] = []
    price = effective_price(product)
    if c.budget_max is not None and price > c.budget_max:
        out.append("budget_max")
    if c.budget_min is not None and price < c.budget_min:
        out.append("budget_min")
    tags = set(product.tags) | implied_tags(product)
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
        listed = tuple(t for t in c.required_tags if t not in IMPLIED_BY_ALLERGENS)   # implied ones: checked after
        return Filters(min_price=c.budget_min, max_price=c.budget_max, required_tags=listed,
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
    """Order by what the shopper asked: price, rating ("평점 높은 순"), review count ("리뷰 많은"),
    or value ("가성비": price per 100 g/ml or per piece, comparable within one measure)."""
    if sort == "price_asc":
        return sorted(products, key=lambda p: (effective_price(p), p.id))
    if sort == "price_desc":
        return sorted(products, key=lambda p: (-effective_price(p), p.id))
    if sort == "rating":
        return sorted(products, key=lambda p: (-float(getattr(p, "rating", 0.0)), -int(getattr(p, "review_count", 0) or 0), p.id))
    if sort == "reviews":
        return sorted(products, key=lambda p: (-int(getattr(p, "review_count", 0) or 0), p.id))
    if sort == "value":
        measured = [(unit_price(p), p) for p in products]
        kinds = [m[1] for m, _ in measured if m]
        base = max(set(kinds), key=kinds.count) if kinds else None
        return [p for _, p in sorted(measured, key=lambda mp: (mp[0] is None or mp[0][1] != base,
                                                               mp[0][0] if mp[0] else 0, mp[1].id))]
    return products


_SORT_WORDS = (("reviews", re.compile(r"(리뷰|후기)\s*(가장\s*|제일\s*)?(많|수)")),
               ("rating", re.compile(r"(평점|별점|평가)\s*(가장\s*|제일\s*)?(높|좋|순)")),
               ("value", re.compile(r"가성비")))


def sort_from_message(message: str, sort: str | None) -> str | None:
    """The sort the shopper's words ask for: "리뷰 많은" is review count (not rating), "가성비" is
    price per 100 g/ml or per piece; otherwise what understanding found."""
    for name, pattern in _SORT_WORDS:
        if pattern.search(message or ""):
            return name
    return sort


def search_text(slots, message: str) -> str:
    from assistant.rerank import alias

    # the catalog's spelling next to the shopper's ("휴지" -> 화장지, "에프" -> 에어프라이어)
    words = [w for k in slots.keywords for w in (k, alias(k))]
    words += list(slots.categories) + list(slots.dietary_tags) + list(slots.brands)
    return " ".join(dict.fromkeys(w for w in words if w)) or message


def ground_products(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None = None,
                    k: int = 3, sort: str | None = None, stock=None, pool: int = 60,
                    item: ItemQuery | None = None) -> list[ProductFact]:
    """Top-k products for `query` that satisfy every constraint, as product cards.

    With `item` (the asked thing's head noun, `assistant.rerank`), products named for that
    thing are added from the catalog and the fused candidates are reranked so the item itself
    comes before its accessories and before other things; a sort ("제일 싼") then orders the
    item itself, not a cheaper accessory."""
    return [_card(p, stock, catalog, c) for p in rank_products(retriever, catalog, query, c, profile, k, sort,
                                                               stock, pool, item)]


def rank_products(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None = None,
                  k: int = 3, sort: str | None = None, stock=None, pool: int = 60,
                  item: ItemQuery | None = None, typed_only: bool = False, only_item: bool = True,
                  trace: dict | None = None) -> list:
    """The catalog products `ground_products` shows, best first (see there). `only_item=False`
    keeps the whole reranked list (the item first, then the rest) instead of cutting it to the
    item itself when the item is there (what a shopper sees). `trace`: filled with each
    candidate's {id: (retrieval score, rerank features)} (`assistant.rerank_fit` learns from it)."""
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
        if satisfies(product, c, _level(stock, product)):
            scored[pid] = rerank_score(product, 1.0 - rank / n, profile)
    active = item is not None and item.active
    if active:
        for pid, product, head, core in item_rows(catalog):   # the asked thing by name, even if retrieval missed it
            if pid not in scored and is_item(head, core, item, product) and satisfies(product, c, _level(stock, product)):
                scored[pid] = rerank_score(product, 0.0, profile)
        if trace is not None:
            from assistant.rerank import features

            trace.update({pid: (s, features(catalog[pid], item)) for pid, s in scored.items()})
        scored = {pid: item_score(catalog[pid], s, item) for pid, s in scored.items()}
    ranked = sorted(scored, key=lambda pid: (-scored[pid], pid))
    if active:
        tiers = {pid: tier(catalog[pid], item) for pid in ranked}
        best = max(tiers.values(), default=0)
        if typed_only or (best == 2 and only_item):
            # Only the asked thing: a shorter list beats a mouse shown as the third "이어폰",
            # and "제일 싼 모래" is the cheapest 모래, not a cheaper 탈취제. When some of them carry
            # the whole phrase ("무선이어폰"), only those ("유선 이어폰" is not what was asked).
            ranked = [pid for pid in ranked if tiers[pid] == 2]
            if item.kind:   # "무선이어폰": a 유선 이어폰 is another kind, not a looser match
                ranked = [pid for pid in ranked if kind_match(catalog[pid], item)]
            phrased = [pid for pid in ranked if phrase_match(catalog[pid], item)]
            if phrased and only_item:
                ranked = phrased
            sized = [pid for pid in ranked if size_match(catalog[pid], item)]
            if sized and only_item:   # "사과 3kg": the 3kg packs, when the store has them
                ranked = sized
        elif sort and best > 0:
            ranked = [pid for pid in ranked if tiers[pid] == best]
    return sort_products([catalog[pid] for pid in ranked], sort)[:k]


# ---- relaxation ------------------------------------------------------------------------------
# Tags a shopper needs (diet, religion, intolerance) are never relaxed; the rest are wishes.
# Who it is for is never relaxed either: a dog's treat is not offered as a person's snack.
HARD_TAGS = frozenset({"비건", "할랄", "글루텐프리", "락토프리", "반려견", "반려묘"})
BUDGET_SLACK = 0.2


@dataclass(frozen=True)
class Relaxed:
    """An alternative that keeps every hard condition and relaxes exactly one soft one."""

    card: ProductFact
    relaxed: str       # "tag:유기농" | "budget_max"
    label: str         # "유기농은 아니지만" / "예산보다 500원 비싸지만"


@dataclass(frozen=True)
class Grounded:
    cards: tuple[ProductFact, ...] = ()
    relaxed: tuple[Relaxed, ...] = ()
    unmet: tuple[str, ...] = ()        # conditions no product meets ("유기농", "3,000원 이하")
    constraints: Constraints | None = None
    other_kind: bool = False           # the cards meet every condition but are not the asked item
    near: str = ""                     # the shelf those other-kind cards share ("볶음밥·피자"), if one
    asked: str = ""                    # the asked item's head noun as the rerank read it ("하루견과")


def _eun(word: str) -> str:
    """Topic particle 은/는 for a Korean word (은 after a final consonant)."""
    last = word[-1:] if word else ""
    if "가" <= last <= "힣":
        return word + ("은" if (ord(last) - 0xAC00) % 28 else "는")
    return word + "은(는)"


def soft_options(c: Constraints, last_resort: bool = False) -> list[tuple[str, Constraints, str]]:
    """(key, relaxed constraints, unmet phrase) for each soft condition, one at a time.
    Allergens, brands, delivery, stock, the item itself and the diet tags the shopper named this
    turn (비건, 할랄, 글루텐프리, 락토프리) stay as they are. A tag the profile adds and the
    message did not name is a standing wish: a non-diet one ("유기농") is relaxed like any
    wish; a diet one ("비건" in the profile) only as the `last_resort`, when nothing else
    gives an alternative, and its label says it comes from the profile."""
    out = []
    if last_resort:
        for tag in c.profile_tags:
            if tag in HARD_TAGS:
                out.append((f"profile:{tag}", replace(c, profile_tags=tuple(t for t in c.profile_tags if t != tag)), tag))
        return out
    for tag in c.required_tags:
        if tag not in HARD_TAGS:
            out.append((f"tag:{tag}", replace(c, required_tags=tuple(t for t in c.required_tags if t != tag)), tag))
    for tag in c.profile_tags:
        if tag not in HARD_TAGS:
            out.append((f"profile:{tag}", replace(c, profile_tags=tuple(t for t in c.profile_tags if t != tag)), tag))
    if c.budget_max is not None:
        out.append(("budget_max", replace(c, budget_max=int(c.budget_max * (1 + BUDGET_SLACK))),
                    f"{won(c.budget_max)} 이하"))
    if c.budget_min is not None:   # "5만원 이상": at most 20% below the floor
        out.append(("budget_min", replace(c, budget_min=int(c.budget_min * (1 - BUDGET_SLACK))),
                    f"{won(c.budget_min)} 이상"))
    return out


def relax(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None = None,
          item: ItemQuery | None = None, stock=None, k: int = 3) -> tuple[list[Relaxed], list[str]]:
    """Up to `k` nearest alternatives when nothing meets every condition, each relaxing one soft
    condition (a wish tag, or the budget by at most 20%), labeled with what was relaxed; and the
    conditions that could not be met. Never relaxes an allergen or a needed diet."""
    found: list[list[Relaxed]] = []
    unmet: list[str] = []
    typed = item is not None and item.active
    for key, looser, phrase in soft_options(c) + soft_options(c, last_resort=True):
        if key.startswith("profile:") and found and key.split(":", 1)[1] in HARD_TAGS:
            break   # a profile diet is relaxed only when nothing else gave an alternative
        products = rank_products(retriever, catalog, query, looser, profile, k=max(k, 6), stock=stock,
                                 item=item, typed_only=typed)
        if key == "budget_max":
            products = sorted((p for p in products if effective_price(p) > c.budget_max),
                              key=lambda p: (effective_price(p), p.id))
            label = lambda p: f"예산보다 {won(effective_price(p) - c.budget_max)} 비싸지만"
        elif key == "budget_min":
            products = sorted((p for p in products if effective_price(p) < c.budget_min),
                              key=lambda p: (-effective_price(p), p.id))
            label = lambda p: f"{won(c.budget_min)}보다 {won(c.budget_min - effective_price(p))} 싸지만"
        elif key.startswith("profile:") and key.split(":", 1)[1] in HARD_TAGS:
            tag = key.split(":", 1)[1]
            label = lambda p, tag=tag: f"프로필의 {tag} 식단에는 맞지 않지만"
        else:
            tag = key.split(":", 1)[1]
            label = lambda p, tag=tag: f"{_eun(tag)} 아니지만"
        rows = [Relaxed(_card(p, stock, catalog, looser), key, label(p)) for p in products[:k]]
        if rows:
            found.append(rows)
            unmet.append(phrase)
    out: list[Relaxed] = []
    seen: set[str] = set()
    for i in range(k):                      # round-robin: the nearest of each relaxation first
        for rows in found:
            if i < len(rows) and rows[i].card.id not in seen and len(out) < k:
                seen.add(rows[i].card.id)
                out.append(rows[i])
    return out, unmet


def ground(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None = None,
           k: int = 3, sort: str | None = None, stock=None, item: ItemQuery | None = None,
           only_item: bool = True) -> Grounded:
    """Products meeting every condition; when there are none (or none of them is the asked
    item while the store sells that item), labeled relaxations instead."""
    found = _ground(retriever, catalog, query, c, profile, k, sort, stock, item, only_item)
    if item is not None and item.active and not found.asked:
        found = replace(found, asked=item.heads[0])
    return found


def _ground(retriever, catalog: dict, query: str, c: Constraints, profile: ProfileView | None,
            k: int, sort: str | None, stock, item: ItemQuery | None, only_item: bool) -> Grounded:
    typed = item is not None and item.active
    if typed and only_item and not item.kind:
        conditions = c.required_tags + c.profile_tags + c.excluded_allergens + c.brands
        item = replace(item, kind=kind_words(item, item_rows(catalog), conditions))
    products = rank_products(retriever, catalog, query, c, profile, k, sort, stock, item=item, only_item=only_item)
    if products and (not typed or any(tier(p, item) == 2 for p in products)):
        return Grounded(tuple(_card(p, stock, catalog, c) for p in products), constraints=c)
    relaxed, unmet = relax(retriever, catalog, query, c, profile, item, stock, k=min(k, 3))
    if relaxed:   # the asked kind with one wish relaxed ("신생아 기저귀", 20% over budget)
        return Grounded((), tuple(relaxed), tuple(unmet), c)
    if typed and item.kind:
        # No item of the asked kind, even relaxed: the item of another kind that meets every
        # condition is the one condition relaxed (the kind word), labeled per card ("무선은
        # 아니지만 …"); the kind word may also be a use or an audience ("아기 과자": 쌀과자 are baby
        # snacks whose names do not say 아기).
        kind = " ".join(item.kind)
        item = replace(item, kind=())
        products = rank_products(retriever, catalog, query, c, profile, k, sort, stock, item=item,
                                 only_item=only_item)
        if products and any(tier(p, item) == 2 for p in products):
            if not only_item:   # the whole ranked list (evaluation), as before
                return Grounded(tuple(_card(p, stock, catalog, c) for p in products), constraints=c)
            rows = tuple(Relaxed(_card(p, stock, catalog, c), f"kind:{kind}", f"{_eun(kind)} 아니지만")
                         for p in products if tier(p, item) == 2)
            return Grounded((), rows, (kind,), c)
        # Nor with every other condition: the kind word with one wish relaxed ("무설탕 초콜릿" whose
        # 무가당 tag is a wish too), both said in each label ("무설탕은 아니고, 무가당은 아니지만").
        relaxed, unmet = relax(retriever, catalog, query, c, profile, item, stock, k=min(k, 3))
        if relaxed:
            relaxed = [replace(r, relaxed=f"kind:{kind}+{r.relaxed}", label=f"{_eun(kind)} 아니고, {r.label}")
                       for r in relaxed]
            return Grounded((), tuple(relaxed), (kind, *unmet), c)
    if typed and only_item:
        # The store sells the asked item, but none of it meets the conditions even with one
        # wish relaxed. When a hard condition (an allergen, a needed diet) rules it all out,
        # offered instead, labeled as another kind: items of a near kind that meet every
        # condition (never an accessory of the item: 종이호일 for 에어프라이어) — the same noun
        # family (쌀과자 for 치즈과자) or, for food, the item's own shelf (볶음밥 next to the frozen
        # pizzas: a meal for a meal; a kettle is not a coffee machine). Nothing unrelated: with
        # none, the reply says the item is not there ("…조건에 맞는 에어프라이어는 지금 없어요").
        rows = item_rows(catalog)
        # Only wishes or the budget rule the item out: another kind is not what was asked
        # ("아보카도 5천원 이하" gets no bananas), unless its name carries the request's own words
        # ("새우맛 과자": the 새우맛 스낵 next to the 쌀과자); else the reply says the item is not there.
        soft_only = any(is_item(head, core, item, p) and satisfies(p, _hard(c), _level(stock, p))
                        for _, p, head, core in rows)
        shelves, family = item_shelves(item, rows), noun_family(item, rows)

        def near_kind(p) -> bool:
            # a shelf named by the asked word alone holds that thing under other names (the
            # 아이스크림 shelf: 아이스바, 샤베트): not another kind, even when only the budget failed
            if tier(p, item) != 0 or (soft_only and not on_named_shelf(p, item) and not words_match(core_of(p), item)):
                return False
            head = head_of(p)
            return any(head.endswith(f) for f in family) or (is_food(p) and p.category in shelves)

        near = [p for p in rank_products(retriever, catalog, query, c, profile, max(k, 3) * 4, sort, stock,
                                         item=item, only_item=False) if near_kind(p)]
        if len(near) < k:   # retrieval's candidates may miss the shelf: the shelf itself, best rated first
            extra = sorted((p for pid, p, _, _ in rows if p.category in shelves and p not in near and near_kind(p)
                            and satisfies(p, c, _level(stock, p))),
                           key=lambda p: (-float(getattr(p, "rating", 0.0)), p.id))
            near += extra
        near = near[:k]
        return Grounded(tuple(_card(p, stock, catalog, c) for p in near), constraints=c, other_kind=True,
                        near=_shelf_name(near))
    return Grounded(tuple(_card(p, stock, catalog, c) for p in products), constraints=c,
                    other_kind=bool(products) and typed)


def _hard(c: Constraints) -> Constraints:
    """Only the conditions never relaxed: allergens, needed diets, brands, delivery, stock."""
    return replace(c, budget_min=None, budget_max=None, categories=(), keywords=(),
                   required_tags=tuple(t for t in c.required_tags if t in HARD_TAGS),
                   profile_tags=tuple(t for t in c.profile_tags if t in HARD_TAGS))


def _shelf_name(products: Sequence) -> str:
    """The shelf the near alternatives share ("볶음밥·피자"), or "" when they come from several."""
    leaves = {p.category.split("/")[-1] for p in products}
    return next(iter(leaves)) if len(leaves) == 1 else ""


# ---- comparisons -----------------------------------------------------------------------------
_ORDINALS = {"첫": 0, "1": 0, "두": 1, "둘": 1, "2": 1, "세": 2, "셋": 2, "3": 2, "네": 3, "넷": 3, "4": 3, "다섯": 4, "5": 4}
_ORDINAL = re.compile(r"(첫|두|둘|세|셋|네|넷|다섯|[1-5])\s*(?:번\s*째|번째|째|번)")
_BOTH = re.compile(r"(둘|두\s*(?:개|가지|상품|제품))\s*(?:중|다|사이|의|을|를)|(셋|세\s*(?:개|가지|상품|제품))\s*(?:중|다|사이)")
_COMPARE = re.compile(r"랑|이랑|하고|와|과|vs|VS|비교|차이|중에|중 |어느|뭐가|어떤 게|어떤게|더\s")


def compare_targets(message: str, last_results: Sequence[str], catalog: dict) -> list[str]:
    """Products a comparison names, from the last results shown: ordinals ("첫 번째랑 두
    번째"), "둘 중", or names ("A랑 B 차이"). Empty unless at least two are named and the
    message compares."""
    last = [pid for pid in (last_results or []) if pid in catalog]
    if len(last) < 2 or not _COMPARE.search(message or ""):
        return []
    picked: list[int] = []
    for m in _ORDINAL.finditer(message):
        i = _ORDINALS[m.group(1)]
        if i < len(last) and i not in picked:
            picked.append(i)
    if len(picked) < 2:
        both = _BOTH.search(message)
        if both:
            picked = list(range(min(3 if both.group(2) else 2, len(last))))
    if len(picked) < 2:
        from assistant.rerank import name_core, norm

        text = norm(message)
        cores = {pid: norm(name_core(catalog[pid].name, catalog[pid].brand, catalog[pid].unit)) for pid in last}
        brands = [catalog[pid].brand for pid in last]

        def named_here(pid) -> bool:   # a full name, or a core / brand no other shown product shares
            p = catalog[pid]
            if norm(p.name.removesuffix(p.unit)) in text:
                return True
            if cores[pid] and cores[pid] in text and list(cores.values()).count(cores[pid]) == 1:
                return True
            return bool(p.brand) and norm(p.brand) in text and brands.count(p.brand) == 1

        named = [i for i, pid in enumerate(last) if named_here(pid)]
        picked = picked + [i for i in named if i not in picked]
    return [last[i] for i in picked] if len(picked) >= 2 else []


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
