"""Stock as a ledger of events: the current level is derived, never stored alone.

Every change of stock is one row in `stock_events` (receipt, sale, adjustment, return;
`qty` signed: receipts and returns > 0, sales < 0, adjustments either way). The level of
a product is the sum of its events; a cached `stock_levels` row is updated in the same
transaction so reads stay cheap, and `reconcile()` checks the cache against the events.
A change that would make a level negative is refused with `InsufficientStock`.

The tables come from the migrations (`database.migrations`); every write goes through
`database.run_write` (one `BEGIN IMMEDIATE` transaction, retried while another writer holds
the lock). Leaves out: orders and carts (`store.orders`), forecasting (`store.forecast`).

Example:
    >>> from database import open_database
    >>> db = open_database(":memory:")
    >>> ledger = StockLedger(db)
    >>> ledger.receive("P0001", 5, ref="입고-1").qty
    5
    >>> ledger.sell("P0001", 2).qty, ledger.level("P0001")
    (-2, 3)
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol

from database.connection import run_write
from store import domain

if TYPE_CHECKING:
    import sqlite_utils

KINDS = ("receipt", "sale", "adjustment", "return")
OPENING_REF = "opening:"  # ref prefix of the idempotent opening receipts


class ProductLike(Protocol):
    """What the store logic needs from `store.catalog.Product`."""

    id: str
    name: str
    category: str
    price: int
    stock: int
    allergens: tuple[str, ...]

    @property
    def effective_price(self) -> int: ...


class InsufficientStock(Exception):
    """A sale or adjustment asked for more units than are on hand; nothing was written."""

    def __init__(self, product_id: str, requested: int, available: int, name: str = "") -> None:
        self.product_id = product_id
        self.requested = requested
        self.available = available
        label = name or product_id
        if available <= 0:
            self.user_message = f"죄송합니다. '{label}' 상품은 현재 품절입니다."
        else:
            self.user_message = (f"죄송합니다. '{label}' 상품은 재고가 {available}개뿐이라 "
                                 f"{requested}개를 주문할 수 없습니다.")
        super().__init__(f"insufficient stock for {product_id}: requested {requested}, "
                         f"available {available}")


class LedgerError(ValueError):
    """An event that breaks the ledger rules (unknown kind, wrong sign, zero quantity)."""

    def __init__(self, message: str) -> None:
        self.user_message = "재고 기록을 처리할 수 없습니다. 입력값을 확인해 주세요."
        super().__init__(message)


@dataclass(frozen=True)
class StockEvent:
    id: int
    product_id: str
    kind: str
    qty: int
    ref: str
    created_at: str


@dataclass(frozen=True)
class ReconcileReport:
    """Result of `StockLedger.reconcile()`: `ok` when cache == events and nothing < 0."""

    ok: bool
    checked: int
    mismatches: tuple[tuple[str, int, int], ...]  # (product_id, cached, derived)
    negatives: tuple[tuple[str, int], ...]  # (product_id, derived level)


def require_tables(db: "sqlite_utils.Database") -> None:
    """Raise a clear error when `db` was not migrated (the tables come from `database/`)."""
    if not db["stock_events"].exists():
        raise RuntimeError("the stock tables are missing: open the database with "
                           "database.open_database(path) (or call database.migrate(db)) first")


def _now_iso(now: datetime | None) -> str:
    return (now or datetime.now()).isoformat(timespec="seconds")


def check_event(kind: str, qty: int) -> None:
    """Raise `LedgerError` unless `qty` has the sign that `kind` requires."""
    if kind not in KINDS:
        raise LedgerError(f"unknown event kind {kind!r}; expected one of {KINDS}")
    if not isinstance(qty, int) or isinstance(qty, bool) or qty == 0:
        raise LedgerError(f"qty must be a non-zero int, got {qty!r}")
    if kind in ("receipt", "return") and qty < 0:
        raise LedgerError(f"{kind} qty must be positive, got {qty}")
    if kind == "sale" and qty > 0:
        raise LedgerError(f"sale qty must be negative, got {qty}")


def level_in(conn: sqlite3.Connection, product_id: str) -> int:
    """Current level inside an open transaction (cached row, else the sum of events)."""
    row = conn.execute("SELECT qty FROM stock_levels WHERE product_id = ?", (product_id,)).fetchone()
    if row is not None:
        return int(row[0])
    row = conn.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_events WHERE product_id = ?",
                       (product_id,)).fetchone()
    return int(row[0])


def check_lines_in(conn: sqlite3.Connection, lines, catalog: Mapping) -> None:
    """Raise `InsufficientStock` for the first line the stock cannot cover, inside an open
    transaction, before anything is written (so the error names the first short product)."""
    for li in lines:
        available = level_in(conn, li.product_id)
        if available < li.qty:
            raise InsufficientStock(li.product_id, li.qty, available,
                                    name=getattr(catalog[li.product_id], "name", ""))


def apply_event(conn: sqlite3.Connection, product_id: str, kind: str, qty: int, ref: str,
                created_at: str, name: str = "") -> StockEvent:
    """Write one event and the cached level inside the caller's transaction.

    Refuses (raises `InsufficientStock`, writes nothing) when the level would go negative.
    """
    check_event(kind, qty)
    current = level_in(conn, product_id)
    if current + qty < 0:
        raise InsufficientStock(product_id, -qty, current, name=name)
    cur = conn.execute("INSERT INTO stock_events (product_id, kind, qty, ref, created_at) "
                       "VALUES (?, ?, ?, ?, ?)", (product_id, kind, qty, ref, created_at))
    conn.execute("INSERT INTO stock_levels (product_id, qty, updated_at) VALUES (?, ?, ?) "
                 "ON CONFLICT(product_id) DO UPDATE SET qty = excluded.qty, "
                 "updated_at = excluded.updated_at", (product_id, current + qty, created_at))
    return StockEvent(int(cur.lastrowid), product_id, kind, qty, ref, created_at)


class StockLedger:
    """Stock ledger over the shared, migrated sqlite_utils database."""

    def __init__(self, db: "sqlite_utils.Database") -> None:
        self.db = db
        require_tables(db)

    # -- writes -----------------------------------------------------------------------
    def record(self, product_id: str, kind: str, qty: int, ref: str = "",
               now: datetime | None = None) -> StockEvent:
        """Append one event (signed `qty`) in its own IMMEDIATE transaction."""
        ts = _now_iso(now)
        return run_write(self.db, lambda: apply_event(self.db.conn, product_id, kind, qty, ref, ts))

    def receive(self, product_id: str, qty: int, ref: str = "", now: datetime | None = None) -> StockEvent:
        return self.record(product_id, "receipt", qty, ref, now)

    def sell(self, product_id: str, qty: int, ref: str = "", now: datetime | None = None) -> StockEvent:
        return self.record(product_id, "sale", -qty, ref, now)

    def adjust(self, product_id: str, delta: int, ref: str = "", now: datetime | None = None) -> StockEvent:
        return self.record(product_id, "adjustment", delta, ref, now)

    def return_(self, product_id: str, qty: int, ref: str = "", now: datetime | None = None) -> StockEvent:
        return self.record(product_id, "return", qty, ref, now)

    def seed_from_catalog(self, products: Iterable[ProductLike], now: datetime | None = None) -> int:
        """Write one opening receipt per product with `stock > 0`, idempotently.

        A product that already has an `opening:<id>` event is skipped, so running this at
        every start is safe. Returns the number of receipts written.
        """
        ts = _now_iso(now)
        products = list(products)

        def seed() -> int:
            conn, written = self.db.conn, 0
            done = {r[0] for r in conn.execute(
                "SELECT product_id FROM stock_events WHERE ref LIKE ?", (OPENING_REF + "%",))}
            for p in products:
                if p.id in done or p.stock <= 0:
                    continue
                apply_event(conn, p.id, "receipt", int(p.stock), OPENING_REF + p.id, ts)
                done.add(p.id)
                written += 1
            return written
        return run_write(self.db, seed)

    # -- reads ------------------------------------------------------------------------
    def level(self, product_id: str) -> int:
        return level_in(self.db.conn, product_id)

    def levels(self, product_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Current levels from the cache (products never seen are absent unless asked for)."""
        rows = dict(self.db.execute("SELECT product_id, qty FROM stock_levels").fetchall())
        if product_ids is None:
            return {k: int(v) for k, v in rows.items()}
        return {pid: int(rows.get(pid, 0)) for pid in product_ids}

    def derived_levels(self) -> dict[str, int]:
        """Levels recomputed from the events alone (the source of truth)."""
        return {pid: int(q) for pid, q in self.db.execute(
            "SELECT product_id, SUM(qty) FROM stock_events GROUP BY product_id").fetchall()}

    def history(self, product_id: str) -> list[StockEvent]:
        rows = self.db.execute("SELECT id, product_id, kind, qty, ref, created_at FROM stock_events "
                               "WHERE product_id = ? ORDER BY id", (product_id,)).fetchall()
        return [StockEvent(*r) for r in rows]

    def reconcile(self) -> ReconcileReport:
        """Compare the cached levels with the sums of events; report negatives too."""
        derived = self.derived_levels()
        cached = self.levels()
        mismatches = tuple(sorted((pid, cached.get(pid, 0), derived.get(pid, 0))
                                  for pid in set(derived) | set(cached)
                                  if cached.get(pid, 0) != derived.get(pid, 0)))
        negatives = tuple(sorted((pid, q) for pid, q in derived.items() if q < 0))
        return ReconcileReport(not mismatches and not negatives, len(set(derived) | set(cached)),
                               mismatches, negatives)

    def rebuild_cache(self) -> None:
        """Recompute `stock_levels` from the events (repair after a failed reconcile)."""
        ts = _now_iso(None)

        def rebuild() -> None:
            conn = self.db.conn
            conn.execute("DELETE FROM stock_levels")
            conn.execute("INSERT INTO stock_levels (product_id, qty, updated_at) "
                         "SELECT product_id, SUM(qty), ? FROM stock_events GROUP BY product_id", (ts,))
        run_write(self.db, rebuild)


def substitutes(product: ProductLike, catalog: Iterable[ProductLike] | Mapping[str, ProductLike],
                levels: Mapping[str, int], k: int = 3) -> list[ProductLike]:
    """Up to `k` in-stock alternatives (the rule is `store.domain.substitutes`)."""
    return domain.substitutes(product, catalog, level=lambda c: levels.get(c.id, 0), k=k)
