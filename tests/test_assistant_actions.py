"""Actions: cart, checkout through store.checkout (one transaction), orders, reorder, proposals."""

import pytest

from assistant.actions import Actions
from assistant.testing import MemoryProfiles, tiny_catalog
from assistant.types import DialogueState, Slots


@pytest.fixture
def catalog():
    return {p.id: p for p in tiny_catalog()}


@pytest.fixture
def db(catalog):
    from database import open_database
    from store.stock import StockLedger

    db = open_database(":memory:")
    StockLedger(db).seed_from_catalog(catalog.values())
    return db


@pytest.fixture
def ledger(db):
    from store.stock import StockLedger

    return StockLedger(db)


def test_anonymous_cart_lives_in_session_state(catalog):
    a, st = Actions(catalog), DialogueState()
    assert a.add(st, None, "P0001", 2).ok and st.cart == {"P0001": 2}
    view = a.view(st, None)
    assert view.data["total"] == 2 * 3900 and "7,800원" in view.message
    fewer = a.remove(st, None, "P0001", 1)
    assert fewer.ok and st.cart == {"P0001": 1}
    gone = a.remove(st, None, "P0001")
    assert gone.ok and st.cart == {}
    for res in (fewer, gone):   # the name, not the id, in the text; the id in the data
        assert catalog["P0001"].name in res.message and "P0001" not in res.message
        assert res.data["product_id"] == "P0001"
    assert not a.remove(st, None, "P0001").ok
    assert not a.add(st, None, "P9999", 1).ok


def test_add_beyond_stock_refused_with_substitutes(catalog):
    a, st = Actions(catalog), DialogueState()
    res = a.add(st, None, "P0010", 5)            # only 2 in stock
    assert not res.ok and st.cart == {} and "2개뿐" in res.message
    sold_out = a.add(st, None, "P0006", 1)       # stock 0
    assert not sold_out.ok and "품절" in sold_out.message
    subs = [p for p in sold_out.products if p.id != "P0006"]
    assert subs and all(catalog[s.id].category == catalog["P0006"].category and s.stock > 0 for s in subs)


def test_signed_in_cart_goes_to_profiles(catalog):
    profiles, st = MemoryProfiles(), DialogueState()
    a = Actions(catalog, profiles=profiles)
    a.add(st, "C001", "P0003", 1)
    a.add(st, "C001", "P0003", 1)
    assert profiles.carts["C001"] == {"P0003": 2} and st.cart == {}


def test_anonymous_checkout_one_transaction(catalog, db, ledger):
    a, st = Actions(catalog, db=db, stock=ledger), DialogueState()
    a.add(st, None, "P0001", 3)
    res = a.checkout(st, None)
    assert res.ok and st.cart == {} and res.data["total"] == 3 * 3900
    assert ledger.level("P0001") == 10 - 3
    row = db.execute("select customer_id, total from orders").fetchone()
    assert row == (None, 11700)
    status = a.order_status(None, res.data["order_id"])
    assert status.ok and res.data["order_id"] in status.message


def test_checkout_refuses_insufficient_stock_and_offers_substitutes(catalog, db, ledger):
    a, st = Actions(catalog, db=db, stock=ledger), DialogueState()
    a.add(st, None, "P0010", 2)
    ledger.sell("P0010", 1)                        # someone else bought one meanwhile
    res = a.checkout(st, None)
    assert not res.ok and "재고" in res.message and st.cart == {"P0010": 2}
    assert db.execute("select count(*) from orders").fetchone()[0] == 0
    assert ledger.level("P0010") == 1


def test_empty_cart_checkout(catalog, db):
    res = Actions(catalog, db=db).checkout(DialogueState(), None)
    assert not res.ok and "비어" in res.message


def test_reorder_same_as_last_time(catalog, db, ledger):
    profiles, st = MemoryProfiles(), DialogueState()
    a = Actions(catalog, profiles=profiles, db=db, stock=ledger)
    db.execute("insert into orders (id, customer_id, created_at, status, total, source) values "
               "('O1', 'C001', '2026-11-01T10:00:00', 'delivered', 9000, 'seed'),"
               "('O0', 'C001', '2026-10-01T10:00:00', 'delivered', 4500, 'seed')")
    db.execute("insert into order_items (order_id, product_id, qty, unit_price) values "
               "('O1', 'P0003', 1, 8900), ('O1', 'P0006', 1, 2500), ('O0', 'P0001', 1, 4500)")
    res = a.reorder(st, "C001")
    assert res.ok and res.data["added"] == ["P0003"] and res.data["skipped"] == ["P0006"]
    assert profiles.carts["C001"] == {"P0003": 1}
    assert not a.reorder(DialogueState(), None).ok      # anonymous: needs login


def test_order_status_hides_other_customers_orders(catalog, db):
    db.execute("insert into orders (id, customer_id, created_at, status, total, source) values "
               "('O9', 'C002', '2026-11-01T10:00:00', 'shipped', 9000, 'seed')")
    a = Actions(catalog, db=db)
    assert a.order_status("C002", "O9").ok and "배송 중" in a.order_status("C002", "O9").message
    assert not a.order_status("C001", "O9").ok
    assert a.order_status("C002", None).data["order_id"] == "O9"


def test_profile_update_becomes_a_proposal(catalog):
    profiles, st = MemoryProfiles(), DialogueState()
    res = Actions(catalog, profiles=profiles).propose_profile(st, "C001", Slots(dietary_tags=("비건",),
                                                                                allergens=("땅콩",)))
    assert res.ok and [p["field"] for p in res.data["proposals"]] == ["dietary", "allergies"]
    assert profiles.proposals[0]["source"] == "dialogue"
    assert st.sticky == {"dietary_tags": ["비건"], "allergens": ["땅콩"]}


def test_anonymous_profile_update_is_session_only(catalog):
    st = DialogueState()
    res = Actions(catalog).propose_profile(st, None, Slots(allergens=("우유",)))
    assert res.ok and res.data["session_only"] and "로그인" in res.message
    assert st.sticky["allergens"] == ["우유"]


def test_reorder_keeps_the_named_item_and_the_quantity_said(catalog, db, ledger):
    profiles = MemoryProfiles()
    a = Actions(catalog, profiles=profiles, db=db, stock=ledger)
    db.execute("insert into orders (id, customer_id, created_at, status, total, source) values "
               "('O1', 'C001', '2026-11-01T10:00:00', 'delivered', 9000, 'seed')")
    db.execute("insert into order_items (order_id, product_id, qty, unit_price) values "
               "('O1', 'P0003', 1, 8900), ('O1', 'P0001', 1, 4500)")
    word = catalog["P0003"].name.split()[-1]            # the last word of one line's product name
    res = a.reorder(DialogueState(), "C001", (word,), 2)
    assert res.ok and res.data["added"] == ["P0003"] and profiles.carts["C001"] == {"P0003": 2}
    assert "2개씩" in res.message
    miss = a.reorder(DialogueState(), "C001", ("없는상품이름",), None)
    assert not miss.ok and "없는상품이름" in miss.message and profiles.carts["C001"] == {"P0003": 2}


def test_taking_an_allergy_off_is_not_proposed_as_adding_it():
    from assistant.nlu import parse

    profiles, st = MemoryProfiles(), DialogueState()
    a = Actions({}, profiles=profiles)
    msg = "달걀 알레르기 이제 다 나았어요 프로필에서 삭제해 주세요"
    res = a.propose_profile(st, "C001", parse(msg).slots)
    assert not res.ok and "해제" in res.message and res.data["remove_requested"] == ["알류"]
    assert not getattr(profiles, "proposals", None) and "추가할까요" not in res.message
    add = "새우 알레르기 있어요 프로필에 저장해 주세요"
    assert "추가할까요" in a.propose_profile(st, "C001", parse(add).slots).message
    keep = "땅콩 알레르기 있어서 빼 주세요 프로필에도 넣어 주세요"
    assert "추가할까요" in a.propose_profile(st, "C001", parse(keep).slots).message
