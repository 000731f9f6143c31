"""Checkout: one transaction, refuses short stock with nothing written, never oversells."""

import threading
from dataclasses import dataclass

import pytest

from database import connect, open_database
from store.orders import CheckoutError, OrderNotFound, checkout, order_status
from store.stock import InsufficientStock, StockLedger


@dataclass(frozen=True)
class Prod:
    id: str
    name: str
    price: int
    sale_price: int | None = None

    @property
    def effective_price(self) -> int:
        return self.sale_price or self.price


CATALOG = {"P1": Prod("P1", "바나나", 3000, 2500), "P2": Prod("P2", "두부", 1500)}


@pytest.fixture
def db():
    db = open_database(":memory:")
    ledger = StockLedger(db)
    ledger.receive("P1", 5)
    ledger.receive("P2", 2)
    return db


def _carts(db, lines):
    from profiles import ProfileStore

    profiles = ProfileStore(db, auto_migrate=False)
    for customer_id, (product_id, qty) in lines.items():
        profiles.add_customer(customer_id, "손님")
        profiles.cart_add(customer_id, product_id, qty)


def counts(db):
    return tuple(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                 for t in ("orders", "order_items", "stock_events", "cart_items"))


def test_checkout_writes_everything_and_clears_cart(db):
    _carts(db, {"C1": ("P1", 2), "C2": ("P2", 1)})
    order = checkout(db, "C1", [("P1", 2), ("P2", 1), ("P1", 1)], CATALOG, source="chat")
    assert order.total == 3 * 2500 + 1500          # sale price used, duplicate lines merged
    assert {(i.product_id, i.qty, i.unit_price) for i in order.items} == {("P1", 3, 2500), ("P2", 1, 1500)}
    assert StockLedger(db).levels(["P1", "P2"]) == {"P1": 2, "P2": 1}
    assert db.execute("SELECT customer_id FROM cart_items").fetchall() == [("C2",)]
    got = order_status(db, order.id)
    assert got.status == "created" and got.total == order.total and len(got.items) == 2
    assert StockLedger(db).reconcile().ok


def test_insufficient_stock_writes_nothing(db):
    _carts(db, {"C1": ("P2", 3)})
    before = counts(db)
    with pytest.raises(InsufficientStock) as err:
        checkout(db, "C1", [("P1", 1), ("P2", 3)], CATALOG)
    assert (err.value.product_id, err.value.requested, err.value.available) == ("P2", 3, 2)
    assert "두부" in err.value.user_message
    assert counts(db) == before
    assert StockLedger(db).levels(["P1", "P2"]) == {"P1": 5, "P2": 2}


def test_anonymous_kiosk_order_and_bad_input(db):
    order = checkout(db, None, [("P2", 2)], CATALOG, source="kiosk")
    assert order_status(db, order.id).customer_id is None
    with pytest.raises(CheckoutError):
        checkout(db, None, [], CATALOG)
    with pytest.raises(CheckoutError):
        checkout(db, None, [("P1", 0)], CATALOG)
    with pytest.raises(CheckoutError) as err:
        checkout(db, None, [("P404", 1)], CATALOG)
    assert err.value.user_message
    with pytest.raises(OrderNotFound):
        order_status(db, "O-none")


def test_concurrent_checkouts_never_oversell(tmp_path):
    path = tmp_path / "shop.db"
    setup = open_database(path)
    StockLedger(setup).receive("P1", 5)
    setup.close()
    ok, refused, errors = [], [], []
    barrier = threading.Barrier(8)

    def buy(i):
        db = connect(path)
        barrier.wait()
        try:
            ok.append(checkout(db, f"C{i}", [("P1", 1)], CATALOG))
        except InsufficientStock:
            refused.append(i)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            db.close()

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ok) == 5 and len(refused) == 3
    check = open_database(path)
    assert StockLedger(check).level("P1") == 0
    assert StockLedger(check).reconcile().ok
    assert check.execute("SELECT SUM(qty) FROM order_items").fetchone()[0] == 5
