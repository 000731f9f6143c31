"""Shared plumbing of the `ProfileStore` mixins: clock, locking, transactions, change log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from database.connection import connection_lock, run_read, run_write
from database.migrations import migrate
from profiles.errors import AnonymousSession, CustomerNotFound

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")


def iso(moment: datetime | str | None = None) -> str:
    """UTC ISO-8601 text with seconds; naive datetimes are taken as UTC.

        >>> iso(datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc))
        '2026-11-21T09:00:00+00:00'
        >>> iso("2026-11-21T18:00:00+09:00")
        '2026-11-21T09:00:00+00:00'
    """
    if moment is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class StoreBase:
    """Holds the database, a lock (one store may be shared by threads) and settings."""

    def __init__(self, db: "Database", *, half_life_days: float = 60.0,
                 retention_days: int = 30, auto_migrate: bool = True) -> None:
        if half_life_days <= 0 or retention_days <= 0:
            raise ValueError("half_life_days and retention_days must be positive")
        self.db = db
        self.half_life_days = float(half_life_days)
        self.retention_days = int(retention_days)
        # The connection's own lock (database.connection): one lock for every transaction on
        # this connection, whoever opens it, so no two locks can be taken in opposite orders.
        self._lock = connection_lock(db)
        # ranking_features results by (customer, second, tags), valid for one database version
        self._features_memo: dict[tuple, tuple[tuple[int, int], Any]] = {}
        if not db.conn.in_transaction:
            db.execute("PRAGMA foreign_keys=ON")
        if auto_migrate:
            migrate(db)

    def _write(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return run_write(self.db, fn)

    def _data_version(self) -> tuple[int, int] | None:
        """A key that changes whenever the database may have changed: rows written through
        this connection (`total_changes`, triggers included) and commits by any other
        connection (`PRAGMA data_version`). None inside an open transaction (its writes may
        still roll back), so nothing read there is memoized. Call with the lock held."""
        conn = self.db.conn
        if conn.in_transaction:
            return None
        return conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0]

    def _read(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return run_read(self.db, fn)

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        cur = self.db.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def _one(self, sql: str, params: tuple = ()) -> Any:
        row = self.db.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _exists(self, customer_id: str) -> bool:
        return self._one("SELECT 1 FROM customers WHERE id = ?", (customer_id,)) is not None

    def _require(self, customer_id: str | None, operation: str) -> str:
        if customer_id is None:
            raise AnonymousSession(operation)
        if not self._exists(customer_id):
            raise CustomerNotFound(customer_id)
        return customer_id

    def _consented(self, customer_id: str, kind: str) -> bool:
        return bool(self._one("SELECT granted FROM consents WHERE customer_id = ? AND kind = ?",
                              (customer_id, kind)))

    def _log(self, customer_id: str, field: str, old: Any, new: Any, source: str, ts: str) -> None:
        self.db.conn.execute(
            "INSERT INTO change_log (customer_id, field, old_value, new_value, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (customer_id, field, None if old is None else dumps(old),
             None if new is None else dumps(new), source, ts))

    def _add_signals(self, customer_id: str, products: Iterable[tuple[str, str]], weight: float,
                     source: str, ts: str) -> int:
        rows = []
        for category, brand in products:
            rows += [(customer_id, "category", key, weight, source, ts)
                     for key in category_keys(category or "")]
            if brand:
                rows.append((customer_id, "brand", brand, weight, source, ts))
        self.db.conn.executemany(
            "INSERT INTO signals (customer_id, kind, key, weight, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return len(rows)


# Every prefix of a catalog path (store.domain owns the rule).
from store.domain import category_prefixes as category_keys  # noqa: E402
