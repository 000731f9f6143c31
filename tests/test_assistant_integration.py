"""The service over the real profiles and store packages on a temp database: a signed-in
customer's cart, checkout (order + stock in one transaction), profile proposals, reorder."""

import pytest

from assistant.service import Assistant
from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies
from assistant.types import DialogueState, Reference, Slots, Understanding

UND = {
    "간식": Understanding("search", Slots(keywords=("간식",))),
    "첫 번째 거 담아줘": Understanding("cart_add", Slots(quantity=2, reference=Reference("index", index=0))),
    "주문할게요": Understanding("checkout", Slots()),
    "주문 어디까지 왔어요": Understanding("order_status", Slots()),
    "지난번이랑 똑같이": Understanding("reorder", Slots()),
    "저 땅콩 알레르기 있어요": Understanding("profile_update", Slots(allergens=("땅콩",))),
}


@pytest.fixture
def world(tmp_path):
    profiles_pkg = pytest.importorskip("profiles")
    from store.stock import StockLedger

    db = profiles_pkg.connect(tmp_path / "j.db")
    profiles_pkg.migrate(db)
    store = profiles_pkg.ProfileStore(db)
    store.add_customer("C001", "김장보", pin="1234")
    store.set_consent("C001", personalization=True, history=True)
    cat, pol = tiny_catalog(), tiny_policies()
    ledger = StockLedger(db)
    ledger.seed_from_catalog(cat)
    a = Assistant(cat, pol, KeywordRetriever(cat, pol), profiles=store, db=db, stock=ledger,
                  understand=lambda m, s, lex: UND[m])
    return a, db, store, ledger


def test_signed_in_cart_checkout_and_status(world):
    a, db, store, ledger = world
    st = DialogueState()
    first = a.answer("간식", st, "C001")
    pid = first["products"][0]["id"]
    before = ledger.level(pid)
    a.answer("첫 번째 거 담아줘", st, "C001")
    assert st.cart == {} and [(i.product_id, i.qty) for i in store.cart("C001")] == [(pid, 2)]
    quote = a.answer("주문할게요", st, "C001")          # the amount first, nothing written yet
    assert quote["actions"][0]["pending"] and "네" in quote["reply"] and ledger.level(pid) == before
    done = a.answer("네", st, "C001")
    assert done["actions"][0]["ok"] and "주문번호" in done["reply"]
    assert ledger.level(pid) == before - 2 and store.cart("C001") == []
    status = a.answer("주문 어디까지 왔어요", st, "C001")
    assert done["actions"][0]["order_id"] in status["reply"]
    again = a.answer("지난번이랑 똑같이", st, "C001")
    assert again["actions"][0]["added"] == [pid] and [(i.product_id, i.qty) for i in store.cart("C001")] == [(pid, 2)]


def test_profile_update_goes_through_confirmation(world):
    a, db, store, _ = world
    ans = a.answer("저 땅콩 알레르기 있어요", DialogueState(), "C001")
    proposals = ans["actions"][0]["proposals"]
    assert proposals and proposals[0]["field"] == "allergies"
    assert "땅콩" not in store.get("C001").allergies           # not a fact before confirmation
    store.confirm(proposals[0]["proposal_id"])
    assert "땅콩" in store.get("C001").allergies


def test_anonymous_checkout_writes_only_the_order(world):
    a, db, store, ledger = world
    st = DialogueState()
    a.answer("간식", st, None)
    a.answer("첫 번째 거 담아줘", st, None)
    assert db.execute("select count(*) from cart_items").fetchone()[0] == 0
    a.answer("주문할게요", st, None)
    done = a.answer("네", st, None)
    assert done["actions"][0]["ok"] and st.cart == {}
    assert db.execute("select customer_id from orders").fetchone()[0] is None
