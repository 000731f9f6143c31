"""Schema migrations: every earlier version upgrades in place, keeping its rows."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from profiles import ProfileStore, connect, migrate, migration_names, schema_version

LATEST = len(migration_names())


def _columns(db: Database) -> dict[str, list[str]]:
    return {t.name: [c.name for c in t.columns] for t in db.tables}


def test_fresh_database_reaches_latest_and_is_idempotent():
    db = Database(memory=True)
    assert schema_version(db) == 0
    assert migrate(db) == LATEST
    before = _columns(db)
    assert migrate(db) == LATEST
    assert _columns(db) == before
    assert {"customers", "cart_items", "orders", "order_items", "chat_turns", "feedback",
            "change_log", "proposals", "signals", "consents"} <= set(db.table_names())


@pytest.mark.parametrize("version", range(0, LATEST))
def test_upgrade_in_place_from_every_earlier_version(version, tmp_path):
    path = tmp_path / "old.db"
    db = connect(path)
    assert migrate(db, target=version) == version
    if version >= 1:  # write data with the old schema, as an old release would have
        db.execute("INSERT INTO customers (id, display_name, pets, created_at, updated_at) "
                   "VALUES ('C1', '김하나', '[]', '2026-01-01T00:00:00+00:00', "
                   "'2026-01-01T00:00:00+00:00')")
        db.execute("INSERT INTO allergies (customer_id, allergen) VALUES ('C1', '땅콩')")
    if version >= 2:
        db.execute("INSERT INTO orders (id, customer_id, created_at, status, total, source) "
                   "VALUES ('O1', 'C1', '2026-01-02T00:00:00+00:00', '배송완료', 3000, 'app')")
        db.execute("INSERT INTO order_items VALUES ('O1', 'P0001', 1, 3000)")
    db.close()

    db = connect(path)
    store = ProfileStore(db)  # migrates on open
    assert schema_version(db) == LATEST
    assert "pin_hash" in _columns(db)["customers"]
    if version >= 1:
        assert store.get("C1").allergies == ("땅콩",)
        assert store.get("C1").has_pin is False
    if version >= 2:
        assert store.orders("C1")[0].items[0].product_id == "P0001"
    # the upgraded database is fully usable
    store.add_customer("C2", "박둘", pin="4321")
    assert store.verify_pin("C2", "4321")


def test_tables_created_first_by_store_checkout_are_adopted():
    # Before the database had one owner, store/ created these on first use: files written
    # then still upgrade.
    db = Database(memory=True)
    db["orders"].create({"id": str, "customer_id": str, "created_at": str, "status": str,
                         "total": int, "source": str}, pk="id")
    db["order_items"].create({"order_id": str, "product_id": str, "qty": int, "unit_price": int})
    db["cart_items"].create({"customer_id": str, "product_id": str, "qty": int})
    db["orders"].insert({"id": "O9", "customer_id": None, "created_at": "2026-11-01T10:00:00",
                         "status": "주문접수", "total": 2500, "source": "kiosk"})
    db["order_items"].insert({"order_id": "O9", "product_id": "P0002", "qty": 1, "unit_price": 2500})
    store = ProfileStore(db)
    assert schema_version(db) == LATEST
    order = store.order("O9")
    assert order.customer_id is None and order.items[0].unit_price == 2500
    assert "added_at" in _columns(db)["cart_items"]


def test_migrate_target_below_current_is_a_no_op():
    db = Database(memory=True)
    migrate(db)
    assert migrate(db, target=1) == LATEST
