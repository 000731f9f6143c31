"""The shared tables work with store.checkout: its order shows up in the customer's
history, it clears the cart, and delete() removes it. Skips while store/ lacks checkout."""

from __future__ import annotations

import pytest

from profiles import ProfileStore, connect


def test_store_checkout_on_profiles_schema(tmp_path):
    try:
        from store import StockLedger, checkout
    except (ImportError, AttributeError) as exc:  # store/ not ready in this checkout
        pytest.skip(f"store.checkout unavailable: {exc}")

    class Product:  # the three attributes checkout reads
        def __init__(self, pid: str, name: str, price: int) -> None:
            self.id, self.name, self.effective_price = pid, name, price

    db = connect(tmp_path / "shop.db")
    profiles = ProfileStore(db)
    profiles.add_customer("C001", "김민지")
    profiles.cart_add("C001", "P0001", 2)
    StockLedger(db).receive("P0001", 5)
    order = checkout(db, "C001", [("P0001", 2)], {"P0001": Product("P0001", "우유", 2500)})
    assert [o.id for o in profiles.orders("C001")] == [order.id]
    assert profiles.order(order.id).total == 5000
    assert profiles.cart("C001") == []
    profiles.delete("C001")
    assert db.execute("SELECT COUNT(*) FROM orders WHERE customer_id = 'C001'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM order_items").fetchone()[0] == 0
