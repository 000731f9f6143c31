"""Grounding: every returned product satisfies every stated constraint; policies on topic."""

import pytest

from assistant.facts import effective_price
from assistant.grounding import (
    Constraints,
    ProfileView,
    constraints_from,
    ground_products,
    rerank_score,
    satisfies,
    violations,
)
from assistant.policy_grounding import ground_policy
from assistant.testing import FakeFeatures, KeywordRetriever, tiny_catalog, tiny_policies
from assistant.types import Slots


@pytest.fixture
def world():
    cat = tiny_catalog()
    return {p.id: p for p in cat}, KeywordRetriever(cat, tiny_policies())


MULTI = [
    Slots(keywords=("간식",), dietary_tags=("비건",), budget_max=10000, allergens=("땅콩",)),
    Slots(keywords=("과자",), dietary_tags=("비건",), allergens=("대두",), budget_max=5000),
    Slots(keywords=("스낵",), categories=("스낵",), budget_min=3000, budget_max=4000),
    Slots(keywords=("초콜릿",), allergens=("우유",)),
    Slots(keywords=("간식",), dietary_tags=("저당",), brands=("오트데이",)),
    Slots(keywords=("간식",), avoid_brands=("바른간식", "초코랩")),
]


@pytest.mark.parametrize("slots", MULTI)
def test_every_product_satisfies_every_constraint(world, slots):
    catalog, retriever = world
    c = constraints_from(slots)
    cards = ground_products(retriever, catalog, " ".join(slots.keywords), c, k=5)
    for card in cards:
        p = catalog[card.id]
        assert satisfies(p, c), (card.id, violations(p, c))
        if slots.budget_max is not None:
            assert effective_price(p) <= slots.budget_max
        assert not set(p.allergens) & set(slots.allergens)
        assert set(slots.dietary_tags) <= set(p.tags)
        assert p.stock > 0


def test_first_request_finds_the_expected_products(world):
    catalog, retriever = world
    c = constraints_from(MULTI[0])
    ids = {c.id for c in ground_products(retriever, catalog, "간식 비건", c, k=10)}
    # P0002 (땅콩), P0004 (12,900원), P0005 (땅콩), P0006 (품절) are excluded.
    assert ids and not ids & {"P0002", "P0004", "P0005", "P0006"}
    assert "P0001" in ids and "P0011" in ids


def test_profile_allergens_and_dietary_apply(world):
    catalog, retriever = world
    profile = ProfileView.from_features(FakeFeatures(exclude_allergens=frozenset({"대두"}),
                                                     required_tags=frozenset({"비건"})))
    c = constraints_from(Slots(keywords=("간식",)), profile)
    cards = ground_products(retriever, catalog, "간식", c, profile, k=10)
    assert cards
    for card in cards:
        assert "대두" not in card.allergens and "비건" in card.tags


def test_profile_dietary_does_not_hide_non_food(world):
    catalog, _ = world
    c = constraints_from(Slots(keywords=("세제",)), ProfileView(required_tags=frozenset({"비건"})))
    assert satisfies(catalog["P0009"], c)                      # detergent: not food
    assert not satisfies(catalog["P0012"], c)                  # chocolate without 비건 tag
    # but a vegan requirement said in the message applies to everything
    assert not satisfies(catalog["P0009"], constraints_from(Slots(dietary_tags=("비건",))))


def test_stock_from_ledger_overrides_catalog(world):
    catalog, retriever = world

    class Ledger:
        def level(self, pid):
            return 0 if pid == "P0001" else 5

    cards = ground_products(retriever, catalog, "비건 간식", Constraints(), k=12, stock=Ledger())
    assert "P0001" not in {c.id for c in cards}


def test_low_stock_gets_substitutes(world):
    catalog, retriever = world

    class Ledger:
        def level(self, pid):
            return catalog[pid].stock

        def stockout_risk(self, pid):
            return pid == "P0010"

    cards = {c.id: c for c in ground_products(retriever, catalog, "두부 스낵", Constraints(), k=5, stock=Ledger())}
    assert cards["P0010"].low_stock and cards["P0010"].substitutes
    for sid in cards["P0010"].substitutes:
        assert catalog[sid].category == catalog["P0010"].category and catalog[sid].stock > 0


def test_rerank_prefers_profile_affinity():
    cat = {p.id: p for p in tiny_catalog()}
    prof = ProfileView(category_affinity={"간식/초콜릿": 1.0}, brand_affinity={"초코랩": 1.0})
    assert rerank_score(cat["P0003"], 0.5, prof) > rerank_score(cat["P0001"], 0.5, prof)


def test_sort_cheapest(world):
    catalog, retriever = world
    cards = ground_products(retriever, catalog, "비건 간식", Constraints(), k=3, sort="price_asc")
    prices = [c.effective_price for c in cards]
    assert prices == sorted(prices)


def test_describe_lists_constraints_in_korean():
    c = constraints_from(Slots(budget_max=10000, dietary_tags=("비건",), allergens=("땅콩",)))
    assert c.describe() == ["10,000원 이하", "비건", "땅콩 제외"]


@pytest.mark.parametrize("query,topic,doc", [("반품은 며칠 안에 해야 돼요?", "교환반품", "반품-01"),
                                             ("배송비 얼마예요", "배송", "배송-01"),
                                             ("카드 결제 돼요?", "결제", "결제-01")])
def test_policy_passages_on_topic(world, query, topic, doc):
    _, retriever = world
    passages = ground_policy(retriever, tiny_policies(), query, topic)
    assert passages and passages[0].doc_id == doc and passages[0].text
