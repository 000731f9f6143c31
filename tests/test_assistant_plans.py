"""Plans, 전부 담기, locations, bought-together and moment suggestions through the Assistant
(real catalog and data tables, a keyword retriever, a real SQLite database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.factory import StockView
from assistant.service import Assistant
from assistant.testing import KeywordRetriever
from assistant.types import DialogueState
from profiles import ProfileStore, connect
from store import StockLedger
from store.catalog import load_catalog

REPO = Path(__file__).resolve().parent.parent
CATALOG = load_catalog(REPO / "data/catalog/products.jsonl")
BY_ID = {p.id: p for p in CATALOG}
PARTY = "4인 가족 삼겹살 파티 하려는데 5만원으로 장볼 거 골라줘"
SOLO = "3만원으로 일주일치 자취 식단 장보기 해줘"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = connect(tmp_path_factory.mktemp("plans") / "shop.db")
    profiles = ProfileStore(db)
    ledger = StockLedger(db)
    ledger.seed_from_catalog(CATALOG)
    profiles.add_customer("C900", "테스트", allergies=["땅콩"])
    a = Assistant(CATALOG, [], KeywordRetriever(CATALOG), profiles=profiles, db=db, stock=StockView(ledger))
    a.data_dir, a.var_dir, a.now = REPO / "data", tmp_path_factory.mktemp("var"), "2026-07-20T08:00"
    return a


@pytest.mark.parametrize("message", [PARTY, SOLO])
def test_requests_from_the_issue_give_a_basket_over_three_roles_within_budget(shop, message):
    ans = shop.answer(message, DialogueState())
    plan = ans["plan"]
    assert ans["intent"] == "plan" and len({i["role"] for i in plan["items"]}) >= 3
    assert plan["total"] <= plan["budget"] == (50_000 if "5만원" in message else 30_000)
    assert plan["total"] == sum(BY_ID[i["id"]].effective_price * i["qty"] for i in plan["items"])
    assert all(set(i) >= {"id", "qty", "role"} for i in plan["items"]) and "left_out" in plan
    for item in plan["items"]:   # the reply shows each line with its total, and the grand total
        assert f"{item['name']} × {item['qty']} — {item['line_total']:,}원" in ans["reply"]
    assert f"합계 {plan['total']:,}원" in ans["reply"] and "전부 담기" in ans["reply"]
    assert plan["offer"] == "전부 담기"


def test_allergen_said_in_the_same_turn_or_in_the_profile_is_respected(shop):
    ans = shop.answer("땅콩이랑 대두 알레르기 있어요. " + PARTY, DialogueState())
    assert ans["intent"] == "plan" and ans["plan"]["items"]
    assert {"땅콩", "대두"} <= set(ans["plan"]["excluded_allergens"])
    for item in ans["plan"]["items"]:
        assert not {"땅콩", "대두"} & set(BY_ID[item["id"]].allergens)
    assert any(x["role"] == "쌈장·소스" for x in ans["plan"]["left_out"])   # every 쌈장 holds 대두
    ans = shop.answer(SOLO, DialogueState(), customer_id="C900")
    assert "땅콩" in ans["plan"]["excluded_allergens"]
    assert all("땅콩" not in BY_ID[i["id"]].allergens for i in ans["plan"]["items"])


def test_add_all_puts_the_whole_plan_in_the_cart_in_one_transaction(shop, monkeypatch):
    state = DialogueState()
    plan = shop.answer(PARTY, state, customer_id="C900")["plan"]
    ans = shop.answer("전부 담기", state, customer_id="C900")
    assert ans["intent"] == "plan_add" and ans["actions"][0]["ok"]
    cart = {c.product_id: c.qty for c in shop.profiles.cart("C900")}
    assert cart == {i["id"]: i["qty"] for i in plan["items"]}
    # one transaction: a failure on the third line leaves the cart as it was
    shop.profiles.cart_clear("C900")
    state = DialogueState()
    shop.answer(PARTY, state, customer_id="C900")
    real, calls = shop.profiles.cart_add, []

    def flaky(*args, **kw):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("disk went away")
        return real(*args, **kw)

    monkeypatch.setattr(shop.profiles, "cart_add", flaky)
    with pytest.raises(RuntimeError):
        shop.answer("다 담아줘", state, customer_id="C900")
    assert shop.profiles.cart("C900") == [] and len(calls) == 3


def test_add_all_refuses_whole_plan_when_a_line_lacks_stock_and_anonymous_cart_fills(shop):
    state = DialogueState()
    plan = shop.answer(PARTY, state)["plan"]
    first = plan["items"][0]
    state.cart = {first["id"]: shop.actions.level(first["id"])}      # the shelf is already in the cart
    ans = shop.answer("전부 담기", state)
    assert not ans["actions"][0]["ok"] and "아무것도 담지 않았어요" in ans["reply"]
    assert state.cart == {first["id"]: shop.actions.level(first["id"])}
    state = DialogueState()
    plan = shop.answer(SOLO, state)["plan"]
    assert shop.answer("다 담아줘", state)["intent"] == "plan_add"
    assert state.cart == {i["id"]: i["qty"] for i in plan["items"]}
    # only right after the plan: later "다 담아줘" is an ordinary cart request again
    shop.answer("우유 어디 있어요?", state)
    assert shop.answer("다 담아줘", state)["intent"] != "plan_add"


@pytest.mark.parametrize("message, zone, aisle", [("우유 어디 있어요?", "5-A", 5), ("라면은 몇 번 통로예요?", "4-A", 4),
                                                  ("수박 어디서 찾을 수 있어요?", "1-A", 1)])
def test_location_questions_answer_with_the_zone(shop, message, zone, aisle):
    ans = shop.answer(message, DialogueState())
    assert ans["intent"] == "location" and ans["location"]["zone"] == zone and ans["location"]["aisle"] == aisle
    assert f"{aisle}번 통로" in ans["reply"] and "image" not in ans["location"]


def test_kiosk_location_answer_carries_the_highlighted_floor_plan(shop, monkeypatch):
    monkeypatch.setattr(shop, "ui_mode", "kiosk")
    ans = shop.answer("우유 어디 있어요?", DialogueState())
    image = Path(ans["location"]["image"])
    assert image.name == "floor-5-A.png" and image.read_bytes()[:4] == b"\x89PNG"


def test_crosssell_after_add_and_on_product_answers(shop):
    state = DialogueState()
    ans = shop.answer("삼겹살 추천해줘", state, customer_id="C900")
    assert ans["intent"] == "search" and isinstance(ans["crosssell"], list) and ans["crosssell"]
    shown = {p["id"] for p in ans["products"]}
    assert not shown & set(ans["crosssell"]) or True   # may overlap: they are suggestions, not a ranking
    for pid in ans["crosssell"]:
        assert "땅콩" not in BY_ID[pid].allergens and shop.actions.level(pid) > 0
    ans = shop.answer("첫 번째 거 담아줘", state, customer_id="C900")
    assert ans["intent"] == "cart_add" and ans["crosssell"]
    assert "crosssell" not in shop.answer("배송비 얼마예요?", DialogueState())


def test_greeting_and_empty_search_show_moment_suggestions(shop, monkeypatch):
    ans = shop.answer("안녕하세요", DialogueState())
    assert ans["intent"] == "greeting" and ans["suggestions"][0]["title"] == "아침 식사"
    cats = {BY_ID[p["id"]].category for p in ans["products"]}
    assert "유제품/우유/우유" in cats and "여름 아침" in ans["reply"]
    monkeypatch.setattr(shop, "now", "2026-07-20T19:00")
    ans = shop.answer("추천해줘", DialogueState())
    assert ans["suggestions"][0]["title"] == "저녁 간편식"
    monkeypatch.setattr(shop, "weather", "비")
    assert shop.answer("안녕", DialogueState())["suggestions"][0]["title"] == "비 오는 날"


@pytest.mark.parametrize("message", ["아들이 계란이랑 우유 알레르기 있어요 생일파티 때 애들 나눠줄 젤리 있나요",
                                     "주말에 삼겹살 파티해요 삼겹살 2kg 정도 필요해요", "삼겹살 추천해줘",
                                     "캠핑 의자 있나요?"])
def test_product_requests_around_an_occasion_stay_searches(shop, message):
    assert shop.answer(message, DialogueState())["intent"] != "plan"


def test_a_party_larger_than_the_table_is_capped_and_said(shop):
    ans = shop.answer("삼겹살 파티 500명 장보기", DialogueState())
    assert ans["plan"]["scale"] == 100 and "100명까지" in ans["reply"]


def test_cli_rejects_a_bad_now_without_a_traceback(capsys):
    from assistant.cli import main

    assert main(["ask", "안녕", "--now", "어제", "--no-llm"]) == 2
    err = capsys.readouterr().err
    assert "설정 값이 올바르지 않아요" in err and "Traceback" not in err
