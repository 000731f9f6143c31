"""Carts and orders: operations, validation, idempotent orders, joining a caller's transaction."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from profiles import AnonymousSession, OrderNotFound, ProfileStore, ValidationError


@pytest.fixture
def store() -> ProfileStore:
    s = ProfileStore(Database(memory=True))
    s.add_customer("C1", "김민지")
    return s


def test_cart_add_set_remove_clear(store):
    assert store.cart_add("C1", "P0001") == 1
    assert store.cart_add("C1", "P0001", 2) == 3
    assert store.cart_add("C1", "P0002", 5) == 5
    assert store.cart_remove("C1", "P0002", 2) == 3
    assert store.cart_set("C1", "P0001", 7) == 7
    assert {(i.product_id, i.qty) for i in store.cart("C1")} == {("P0001", 7), ("P0002", 3)}
    assert store.cart_remove("C1", "P0002") == 0
    assert store.cart_set("C1", "P0001", 0) == 0
    assert store.cart("C1") == []
    store.cart_add("C1", "P0003")
    assert store.cart_clear("C1") == 1


@pytest.mark.parametrize("qty", [0, -1, 1000, 1.5, True, "2"])
def test_cart_rejects_bad_quantities(store, qty):
    with pytest.raises(ValidationError) as info:
        store.cart_add("C1", "P0001", qty)
    assert "수량" in info.value.user_message


def test_cart_needs_a_signed_in_known_customer(store):
    with pytest.raises(AnonymousSession):
        store.cart_add(None, "P0001")
    assert store.cart(None) == [] and store.cart_clear(None) == 0
    with pytest.raises(Exception) as info:
        store.cart_add("C404", "P0001")
    assert type(info.value).__name__ == "CustomerNotFound"


def test_record_order_and_lookup(store):
    order = store.record_order("C1", [("P0001", 2, 1500), ("P0002", 1, 4000)],
                               order_id="O-1", created_at="2026-11-20T10:00:00+09:00")
    assert order.total == 7000
    assert store.record_order("C1", [("P0009", 1, 1)], order_id="O-1") == order  # idempotent
    assert store.order("O-1").created_at == "2026-11-20T01:00:00+00:00"
    assert [o.id for o in store.orders("C1")] == ["O-1"]
    with pytest.raises(OrderNotFound):
        store.order("O-1", customer_id="C2")
    anonymous = store.record_order(None, [("P0001", 1, 1500)], source="kiosk")
    assert store.order(anonymous.id).customer_id is None
    assert store.orders(None) == []


def test_record_order_joins_an_open_transaction_and_rolls_back_with_it(store):
    db = store.db
    db.conn.execute("BEGIN IMMEDIATE")
    store.record_order("C1", [("P0001", 1, 1500)], order_id="O-tx")
    db.execute("INSERT INTO cart_items VALUES ('C1', 'P0001', 1, '2026-11-21T00:00:00+00:00')")
    assert db.conn.in_transaction  # record_order did not commit the caller's transaction
    db.conn.execute("ROLLBACK")
    assert store.orders("C1") == [] and store.cart("C1") == []
