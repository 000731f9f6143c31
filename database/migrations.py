"""Versioned schema of the whole database, as registered sqlite-utils migrations.

This module is the only place that creates tables (customers' tables for `profiles/`,
orders, stock and the after-checkout tables for `store/`); `tests/test_database_owner.py`
fails when another module does.

Each migration is a function registered in order on one `Migrations` set; `migrate(db)`
applies the pending ones, each in its own savepoint inside one `BEGIN IMMEDIATE`
transaction, so two processes starting together cannot both apply the same step.
A database left at any earlier version upgrades in place (tested in
`tests/test_profiles_migrations.py`). Never edit a released migration: add a new one.
The migration set keeps its first name, "jangbogi-profiles", so existing files upgrade.

Tables (all `*_at` columns are ISO-8601 UTC text):
- customers(id, display_name, age_band, region, household_size, pets JSON list, persona,
  price_sensitivity low|medium|high, monthly_budget, pin_hash, created_at, updated_at)
- dietary_rules(customer_id, rule), allergies(customer_id, allergen)
- category_prefs(customer_id, category, weight), brand_prefs(customer_id, brand, weight),
  disliked_brands(customer_id, brand)
- consents(customer_id, kind personalization|history|marketing, granted 0/1, updated_at)
- change_log(id, customer_id, field, old_value, new_value, source customer|dialogue|purchase|system)
- cart_items(customer_id, product_id, qty > 0, added_at)
- orders(id TEXT, customer_id NULL = anonymous kiosk (no foreign key), created_at, status,
  total, source)
- order_items(order_id, product_id, qty, unit_price)
- proposals(id, customer_id, field, value JSON, source, status pending|confirmed|rejected)
- signals(id, customer_id, kind category|brand, key, weight, source purchase|feedback)
- chat_sessions(id, customer_id, started_at, expires_at), chat_turns(id, session_id,
  customer_id, role, content, created_at, expires_at)
- feedback(id, customer_id, target_kind answer|product, target_id, thumbs +1/-1, comment)
- stock_events(id, product_id, kind receipt|sale|adjustment|return, qty signed, ref,
  created_at), stock_levels(product_id, qty, updated_at): the ledger and its cache
- orders also carry (m007) delivery_method 새벽|당일|일반|픽업, slot_id, address,
  items_total, delivery_fee, discount, points_used, payment_method, schedule JSON,
  delivered_at, updated_at; status is a state of `store.lifecycle` (created, paid, ...)
- order_events(id, order_id, from_status, to_status, actor customer|staff|system|payment,
  reason, created_at): every state change, who/when/why
- delivery_slots(id "2026-11-27/새벽", method, starts_at, capacity, taken <= capacity)
- payments(order_id, kind authorize|capture|refund|onsite, method, amount, status,
  idempotency_key UNIQUE, provider, provider_ref); pg_sandbox(idempotency_key, op, ref,
  parent_ref, amount): the sandbox payment provider's own ledger
- return_requests(order_id, kind change_of_mind|quality|exchange, product_ids JSON, reason,
  photo, refund_amount, deduction, status requested|approved|rejected|refunded)
- coupons(id, customer_id, kind product|delivery, amount, min_order, expires_at,
  used_order_id), point_events(customer_id, delta, ref): 쿠폰-01 / 적립금-01
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from database.connection import run_write

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "jangbogi-profiles"
_CUSTOMER_FK = "customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE"
_STEPS: list = []


def _migrations():
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for fn in _STEPS:
        migrations(name=fn.__name__)(fn)
    return migrations


def _step(fn):
    _STEPS.append(fn)
    return fn


def _run(db: "Database", sql: str) -> None:
    for statement in filter(None, (s.strip() for s in sql.split(";"))):
        db.execute(statement)


@_step
def m001_customers(db: "Database") -> None:
    _run(db, f"""
    CREATE TABLE customers (
        id TEXT PRIMARY KEY, display_name TEXT NOT NULL, age_band TEXT, region TEXT,
        household_size INTEGER, pets TEXT NOT NULL DEFAULT '[]', persona TEXT,
        price_sensitivity TEXT, monthly_budget INTEGER,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE dietary_rules ({_CUSTOMER_FK}, rule TEXT NOT NULL,
        PRIMARY KEY (customer_id, rule));
    CREATE TABLE allergies ({_CUSTOMER_FK}, allergen TEXT NOT NULL,
        PRIMARY KEY (customer_id, allergen));
    CREATE TABLE category_prefs ({_CUSTOMER_FK}, category TEXT NOT NULL, weight REAL NOT NULL,
        PRIMARY KEY (customer_id, category));
    CREATE TABLE brand_prefs ({_CUSTOMER_FK}, brand TEXT NOT NULL, weight REAL NOT NULL,
        PRIMARY KEY (customer_id, brand));
    CREATE TABLE disliked_brands ({_CUSTOMER_FK}, brand TEXT NOT NULL,
        PRIMARY KEY (customer_id, brand));
    CREATE TABLE consents ({_CUSTOMER_FK},
        kind TEXT NOT NULL CHECK (kind IN ('personalization', 'history', 'marketing')),
        granted INTEGER NOT NULL CHECK (granted IN (0, 1)), updated_at TEXT NOT NULL,
        PRIMARY KEY (customer_id, kind));
    CREATE TABLE change_log (id INTEGER PRIMARY KEY, {_CUSTOMER_FK}, field TEXT NOT NULL,
        old_value TEXT, new_value TEXT,
        source TEXT NOT NULL CHECK (source IN ('customer', 'dialogue', 'purchase', 'system')),
        created_at TEXT NOT NULL);
    CREATE INDEX change_log_customer ON change_log(customer_id, id)
    """)


_M002_TABLES = {
    "cart_items": (f"""CREATE TABLE cart_items ({_CUSTOMER_FK}, product_id TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0), added_at TEXT NOT NULL,
        PRIMARY KEY (customer_id, product_id))""",
        """INSERT INTO cart_items (customer_id, product_id, qty, added_at)
        SELECT customer_id, product_id, MIN(SUM(qty), 999), strftime('%Y-%m-%dT%H:%M:%S+00:00')
        FROM cart_items__old WHERE customer_id IN (SELECT id FROM customers)
        GROUP BY customer_id, product_id HAVING SUM(qty) > 0"""),
    # No foreign key on orders.customer_id: checkout (store/) may record an order before the
    # customer row exists, and NULL means an anonymous kiosk order. delete() removes orders.
    "orders": ("""CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT,
        created_at TEXT NOT NULL, status TEXT NOT NULL,
        total INTEGER NOT NULL CHECK (total >= 0), source TEXT NOT NULL DEFAULT 'app')""",
        """INSERT INTO orders (id, customer_id, created_at, status, total, source)
        SELECT id, customer_id, created_at, status, total, COALESCE(source, 'app')
        FROM orders__old"""),
    "order_items": ("""CREATE TABLE order_items (
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        product_id TEXT NOT NULL, qty INTEGER NOT NULL CHECK (qty > 0),
        unit_price INTEGER NOT NULL CHECK (unit_price >= 0))""",
        """INSERT INTO order_items (order_id, product_id, qty, unit_price)
        SELECT order_id, product_id, qty, unit_price FROM order_items__old
        WHERE order_id IN (SELECT id FROM orders)"""),
}


@_step
def m002_carts_orders(db: "Database") -> None:
    # Before the database had one owner, store/ could create these three tables first
    # (same columns, fewer constraints): rebuild them with ours and keep their rows.
    existing = [t for t in _M002_TABLES if db[t].exists()]
    for table in existing:
        db.execute(f'ALTER TABLE "{table}" RENAME TO "{table}__old"')
    for table, (create, copy) in _M002_TABLES.items():
        db.execute(create)
        if table in existing:
            db.execute(copy)
    for table in reversed(existing):
        db.execute(f'DROP TABLE "{table}__old"')
    _run(db, """
    CREATE INDEX orders_customer ON orders(customer_id, created_at);
    CREATE INDEX order_items_order ON order_items(order_id)
    """)


@_step
def m003_learning(db: "Database") -> None:
    _run(db, f"""
    CREATE TABLE proposals (id INTEGER PRIMARY KEY, {_CUSTOMER_FK}, field TEXT NOT NULL,
        value TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'confirmed', 'rejected')),
        created_at TEXT NOT NULL, decided_at TEXT);
    CREATE INDEX proposals_customer ON proposals(customer_id, status);
    CREATE TABLE signals (id INTEGER PRIMARY KEY, {_CUSTOMER_FK},
        kind TEXT NOT NULL CHECK (kind IN ('category', 'brand')), key TEXT NOT NULL,
        weight REAL NOT NULL, source TEXT NOT NULL CHECK (source IN ('purchase', 'feedback')),
        created_at TEXT NOT NULL);
    CREATE INDEX signals_customer ON signals(customer_id, kind)
    """)


@_step
def m004_conversations_feedback(db: "Database") -> None:
    _run(db, f"""
    CREATE TABLE chat_sessions (id TEXT PRIMARY KEY, {_CUSTOMER_FK},
        started_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE TABLE chat_turns (id INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
        {_CUSTOMER_FK}, role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
    CREATE INDEX chat_turns_session ON chat_turns(session_id, id);
    CREATE INDEX chat_turns_expiry ON chat_turns(expires_at);
    CREATE TABLE feedback (id INTEGER PRIMARY KEY, {_CUSTOMER_FK},
        target_kind TEXT NOT NULL CHECK (target_kind IN ('answer', 'product')),
        target_id TEXT NOT NULL, thumbs INTEGER NOT NULL CHECK (thumbs IN (-1, 1)),
        comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)
    """)


@_step
def m005_pin_hash(db: "Database") -> None:
    # Added after the first release: customers existing before it simply have no PIN.
    db.execute("ALTER TABLE customers ADD COLUMN pin_hash TEXT")


@_step
def m006_stock_ledger(db: "Database") -> None:
    # Files written before this step may already hold these tables, created on first use by
    # the ledger itself (same columns): IF NOT EXISTS adopts them with their rows.
    _run(db, """
    CREATE TABLE IF NOT EXISTS stock_events (id INTEGER PRIMARY KEY, product_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'sale', 'adjustment', 'return')),
        qty INTEGER NOT NULL CHECK (qty != 0), ref TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS stock_levels (product_id TEXT PRIMARY KEY,
        qty INTEGER NOT NULL, updated_at TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS idx_stock_events_product ON stock_events(product_id, created_at);
    CREATE INDEX IF NOT EXISTS idx_stock_events_ref ON stock_events(ref)
    """)


@_step
def m007_order_lifecycle(db: "Database") -> None:
    # Orders after checkout (store.lifecycle): states, events, delivery slots, payments,
    # return requests, coupons and points. Earlier Korean statuses become the state names.
    for column in ("delivery_method TEXT", "slot_id TEXT", "address TEXT", "items_total INTEGER",
                   "delivery_fee INTEGER NOT NULL DEFAULT 0", "discount INTEGER NOT NULL DEFAULT 0",
                   "points_used INTEGER NOT NULL DEFAULT 0", "payment_method TEXT",
                   "schedule TEXT NOT NULL DEFAULT '{}'", "delivered_at TEXT", "updated_at TEXT"):
        db.execute(f"ALTER TABLE orders ADD COLUMN {column}")
    _run(db, """
    UPDATE orders SET status = CASE status WHEN '주문접수' THEN 'created'
        WHEN '결제완료' THEN 'paid' WHEN '배송완료' THEN 'delivered'
        WHEN '주문취소' THEN 'cancelled' WHEN '반품완료' THEN 'refunded' ELSE status END;
    UPDATE orders SET items_total = (SELECT COALESCE(SUM(qty * unit_price), 0)
        FROM order_items WHERE order_id = orders.id) WHERE items_total IS NULL;
    CREATE TABLE order_events (id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        from_status TEXT, to_status TEXT NOT NULL,
        actor TEXT NOT NULL CHECK (actor IN ('customer', 'staff', 'system', 'payment')),
        reason TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
    CREATE INDEX order_events_order ON order_events(order_id, id);
    CREATE TABLE delivery_slots (id TEXT PRIMARY KEY, method TEXT NOT NULL,
        starts_at TEXT NOT NULL, capacity INTEGER NOT NULL CHECK (capacity >= 0),
        taken INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= capacity));
    CREATE TABLE payments (id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('authorize', 'capture', 'refund', 'onsite')),
        method TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount >= 0), status TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE, provider TEXT NOT NULL, provider_ref TEXT,
        created_at TEXT NOT NULL);
    CREATE INDEX payments_order ON payments(order_id, id);
    CREATE TABLE pg_sandbox (idempotency_key TEXT PRIMARY KEY,
        op TEXT NOT NULL CHECK (op IN ('authorize', 'capture', 'refund')), ref TEXT NOT NULL,
        parent_ref TEXT, amount INTEGER NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE return_requests (id INTEGER PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('change_of_mind', 'quality', 'exchange')),
        product_ids TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', photo TEXT,
        refund_amount INTEGER NOT NULL DEFAULT 0, deduction INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'requested'
            CHECK (status IN ('requested', 'approved', 'rejected', 'refunded')),
        created_at TEXT NOT NULL, decided_at TEXT);
    CREATE INDEX return_requests_status ON return_requests(status, id);
    CREATE TABLE coupons (id TEXT PRIMARY KEY, {_CUSTOMER_FK},
        kind TEXT NOT NULL CHECK (kind IN ('product', 'delivery')),
        amount INTEGER NOT NULL CHECK (amount > 0), min_order INTEGER NOT NULL DEFAULT 0,
        expires_at TEXT NOT NULL, used_order_id TEXT);
    CREATE TABLE point_events (id INTEGER PRIMARY KEY, {_CUSTOMER_FK},
        delta INTEGER NOT NULL, ref TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE INDEX point_events_customer ON point_events(customer_id)
    """.replace("{_CUSTOMER_FK}", _CUSTOMER_FK))


def migration_names() -> list[str]:
    """All migration names, oldest first (the schema version is how many are applied)."""
    return [fn.__name__ for fn in _STEPS]


def schema_version(db: "Database") -> int:
    return len(_migrations().applied(db))


def migrate(db: "Database", *, target: int | None = None) -> int:
    """Apply pending migrations (up to version `target`, default all); return the version.

    Example:
        >>> from database import connect
        >>> migrate(connect(":memory:")) == len(migration_names())
        True
    """
    migrations = _migrations()
    names = migration_names()
    stop_before = names[target] if target is not None and target < len(names) else None
    pending = [m.name for m in migrations.pending(db)]
    if not pending or (stop_before is not None and stop_before not in pending) or (
            pending[0] == stop_before):
        return schema_version(db)

    def apply() -> None:
        migrations.apply(db, stop_before=stop_before)

    run_write(db, apply)
    return schema_version(db)
