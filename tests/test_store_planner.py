"""Shopping plans: the occasion table's validation, unit sizes, and the milp basket
(coverage first, budget, allergens, diet, stock, the bought-together role)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from store.catalog import load_catalog
from store.planner import Shopper, load_occasions, match_occasion, plan_basket, unit_size, validate_occasions

REPO = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def catalog() -> dict:
    return {p.id: p for p in load_catalog(REPO / "data/catalog/products.jsonl")}


@lru_cache(maxsize=1)
def occasions():
    return load_occasions(REPO / "data/store/occasions.json", {p.category for p in catalog().values()})


def occ(text):
    found = match_occasion(text, occasions())
    assert found is not None, text
    return found


def test_unit_sizes():
    assert unit_size("355ml x 24캔", "ml") == 8520 and unit_size("1.5L 1병", "ml") == 1500
    assert unit_size("1통 7kg", "g") == 7000 and unit_size("500g", "g") == 500
    assert unit_size("210g x 24입", "count") == 24 and unit_size("30구", "count") == 30
    assert unit_size("1호", "count") == 1 and unit_size("1개", "g") is None


def test_table_validates_and_reports_bad_rows():
    data = json.loads((REPO / "data/store/occasions.json").read_text("utf-8"))
    leaves = {p.category for p in catalog().values()}
    assert validate_occasions(data, leaves) == []
    bad = json.loads(json.dumps(data))
    bad["occasions"][0]["roles"][0]["measure"] = "kg"
    bad["occasions"][0]["roles"][1]["categories"] = ["신선식품/없는/잎"]
    bad["occasions"][1]["id"] = bad["occasions"][0]["id"]
    errors = validate_occasions(bad, leaves)
    assert any("measure" in e for e in errors) and any("unknown leaf" in e for e in errors)
    assert any("duplicate id" in e for e in errors)
    assert validate_occasions({"occasions": []}) != []


@pytest.mark.parametrize("text, scale, budget", [
    ("4인 가족 삼겹살 파티 하려는데 5만원으로 장볼 거 골라줘", 4, 50_000),
    ("3만원으로 일주일치 자취 식단 장보기 해줘", 1, 30_000),
    ("캠핑 1박 2일 2인", 2, 100_000),
    ("아이 생일 파티 10명", 10, 80_000),
    ("김장 20포기", 20, None),
])
def test_plans_cover_roles_within_budget(text, scale, budget):
    cat = catalog()
    plan = plan_basket(occ(text), scale, budget, cat)
    roles = {ln.role for ln in plan.lines}
    assert len(roles) >= 3 and len(roles) == len(plan.lines)
    assert plan.total == sum(cat[ln.id].effective_price * ln.qty for ln in plan.lines)
    if budget is not None:
        assert plan.total <= budget
    # every must-have role is in, and each line holds enough for the party
    must = [r for r in plan_roles(text) if r.priority == 3]
    assert {r.role for r in must} <= roles, plan.left_out
    for ln in plan.lines:
        role = next(r for r in plan_roles(text) if r.role == ln.role)
        if role.amount and role.source == "catalog":
            assert unit_size(cat[ln.id].unit, role.measure) * ln.qty >= role.amount * scale
        assert ln.qty <= cat[ln.id].stock


def plan_roles(text):
    return occ(text).roles


def test_quantities_scale_with_party_size():
    o = occ("삼겹살 파티")
    small, big = plan_basket(o, 2, None, catalog()), plan_basket(o, 8, None, catalog())
    meat = lambda plan: next(ln for ln in plan.lines if ln.role == "메인 고기")
    grams = lambda ln: unit_size(catalog()[ln.id].unit, "g") * ln.qty
    assert grams(meat(small)) >= 500 and grams(meat(big)) >= 2000 > grams(meat(small))


def test_tight_budget_drops_low_priority_roles_first_and_says_so():
    plan = plan_basket(occ("삼겹살 파티"), 4, 30_000, catalog())
    assert plan.total <= 30_000
    covered = {ln.role for ln in plan.lines}
    assert "메인 고기" in covered
    left = {x["role"]: x for x in plan.left_out}
    assert left and all(x["why"] == "budget" and "예산" in x["reason"] for x in left.values()
                        if x["role"] != "함께 많이 사는 상품")
    # coverage comes first: no dropped role has a higher priority than every kept one
    kept = [r.priority for r in occ("삼겹살 파티").roles if r.role in covered]
    assert max(x["priority"] for x in left.values()) <= max(kept)


def test_budget_below_the_main_role_gives_no_plan_and_says_why():
    plan = plan_basket(occ("삼겹살 파티"), 4, 10_000, catalog())
    assert plan.lines == [] and plan.status == "empty" and plan.total == 0
    assert all(x["why"] == "budget" for x in plan.left_out)
    plan = plan_basket(occ("삼겹살 파티"), 4, 50_000, catalog(), Shopper(exclude_allergens=frozenset({"돼지고기"})))
    assert plan.lines == [] and any(x["role"] == "메인 고기" and x["why"] == "none" for x in plan.left_out)


@pytest.mark.parametrize("allergens", [{"땅콩"}, {"대두", "밀"}, {"우유", "알류"}])
def test_allergens_are_never_in_the_basket(allergens):
    for text in ("삼겹살 파티", "자취 식단", "생일 파티"):
        plan = plan_basket(occ(text), None, 80_000, catalog(), Shopper(exclude_allergens=frozenset(allergens)))
        assert plan.lines
        for ln in plan.lines:
            assert not set(catalog()[ln.id].allergens) & allergens, (text, ln)
    plan = plan_basket(occ("삼겹살 파티"), 4, 50_000, catalog(), Shopper(exclude_allergens=frozenset({"대두", "밀"})))
    assert any(x["role"] == "쌈장·소스" and x["why"] == "none" for x in plan.left_out)   # every 쌈장 has 대두


def test_vegan_plan_keeps_food_vegan_and_labels_missing_roles():
    plan = plan_basket(occ("자취 식단"), 1, 30_000, catalog(), Shopper(required_tags=frozenset({"비건"})))
    for ln in plan.lines:
        assert "비건" in catalog()[ln.id].tags
    assert any(x["why"] == "none" for x in plan.left_out)      # 우유 has no vegan product


def test_stock_is_respected():
    cat = catalog()
    first = plan_basket(occ("삼겹살 파티"), 4, 50_000, cat)
    gone = {ln.id for ln in first.lines}
    again = plan_basket(occ("삼겹살 파티"), 4, 50_000, cat, level=lambda pid: 0 if pid in gone else cat[pid].stock)
    assert not gone & {ln.id for ln in again.lines} and again.lines


def test_crosssell_role_follows_the_chosen_main():
    cat = catalog()
    o = occ("삼겹살 파티")
    main_ids = {p.id for p in cat.values() if p.category == "신선식품/정육·계란/돼지고기"}
    partner = next(p.id for p in cat.values() if p.category == "간식·과자/과자/스낵" and p.stock > 0)
    # only one pork product has a partner: the bought-together role may only use it when that
    # product is the chosen main
    chosen_main = plan_basket(o, 4, None, cat).lines[0].id
    assert chosen_main in main_ids
    plan = plan_basket(o, 4, None, cat, bought_together=lambda pid: [partner] if pid == chosen_main else [])
    lines = {ln.role: ln.id for ln in plan.lines}
    assert lines["함께 많이 사는 상품"] == partner and lines["메인 고기"] == chosen_main
    other = next(i for i in main_ids if i != chosen_main)
    plan = plan_basket(o, 4, None, cat, bought_together=lambda pid: [partner] if pid == other else [])
    lines = {ln.role: ln.id for ln in plan.lines}
    assert ("함께 많이 사는 상품" not in lines) or lines["메인 고기"] == other


def test_bought_together_breaks_ties_inside_a_role():
    cat = catalog()
    o = occ("삼겹살 파티")
    base = {ln.role: ln.id for ln in plan_basket(o, 4, None, cat).lines}
    lettuce = sorted(p.id for p in cat.values() if p.category == "신선식품/채소/잎채소·쌈채소"
                     and "청상추" in p.name and p.id != base["쌈채소"] and p.stock > 0)[0]
    mains = {p.id for p in cat.values() if p.category == "신선식품/정육·계란/돼지고기"}
    plan = plan_basket(o, 4, None, cat, bought_together=lambda pid: [lettuce] if pid in mains else [])
    assert {ln.role: ln.id for ln in plan.lines}["쌈채소"] == lettuce
