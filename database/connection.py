"""Connections and write transactions for the shared SQLite file (the only ones).

`connect(path)` opens a `sqlite_utils.Database` in WAL mode with a busy timeout and foreign
keys on. `run_write(db, fn)` runs `fn()` as one `BEGIN IMMEDIATE` transaction and retries
with backoff when another connection holds the write lock, so "database is locked" never
reaches a caller (it becomes `DatabaseBusy` only after `deadline_s`). Inside a transaction
that the caller already opened, `run_write` joins it through a savepoint instead: the
caller commits. `open_database(path)` is `connect` + `migrate`, for entry points.

Leaves out: the schema (see `database.migrations`) and any pooling. One connection per
thread is the simplest safe use; a `ProfileStore` shared by threads serializes its own calls.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from database.errors import DatabaseBusy

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
RETRIES_PER_TIMEOUT = 6   # run_write's deadline, in busy timeouts of the connection
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


def connect(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> "Database":
    """Open (creating the parent folder if needed) the shared database.

    Example:
        >>> db = connect(":memory:")
        >>> db.execute("PRAGMA foreign_keys").fetchone()[0]
        1
    """
    from sqlite_utils import Database

    if str(path) == ":memory:":
        conn = sqlite3.connect(":memory:", check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000,
                               check_same_thread=False)
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    # How long run_write keeps retrying on this connection: an impatient connection (short
    # busy timeout) gives up sooner, the default one after a minute.
    db.write_deadline_s = RETRIES_PER_TIMEOUT * busy_timeout_ms / 1000
    if str(path) != ":memory:":
        _retry_busy(db.enable_wal, deadline_s=busy_timeout_ms / 1000 * 3)
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten with zeros, so a hard delete leaves no readable trace
    # in the file's free pages.
    db.execute("PRAGMA secure_delete=ON")
    return db


def open_database(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> "Database":
    """`connect(path)` and apply every pending migration: what an entry point calls once.

    Example:
        >>> db = open_database(":memory:")
        >>> db["stock_events"].exists() and db["orders"].exists()
        True
    """
    from database.migrations import migrate

    db = connect(path, busy_timeout_ms=busy_timeout_ms)
    migrate(db)
    return db


def is_busy(exc: BaseException) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED errors (worth retrying)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _BUSY_CODES
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry_busy(fn: Callable[[], T], *, deadline_s: float) -> T:
    start = time.monotonic()
    attempt = 0
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() - start > deadline_s:
                if is_busy(exc):
                    raise DatabaseBusy(str(exc)) from exc
                raise
            attempt += 1
            time.sleep(min(0.5, 0.005 * 2 ** attempt) * (0.5 + random.random()))


def run_write(db: "Database", fn: Callable[[], T], *, deadline_s: float | None = None) -> T:
    """Run `fn()` as one write transaction (`BEGIN IMMEDIATE`), retrying on SQLITE_BUSY.

    `fn` must only touch the database (it may run more than once). Read-modify-write
    inside `fn` is safe: IMMEDIATE takes the write lock before the first read. Retries stop
    after `deadline_s` (default: 6 busy timeouts of the connection, 60 s for `connect`'s
    default) with `DatabaseBusy`; nothing of `fn` is then written.
    """
    if deadline_s is None:
        deadline_s = getattr(db, "write_deadline_s", 60.0)
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():  # a savepoint in the caller's transaction
            return fn()

    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    return _retry_busy(attempt, deadline_s=deadline_s)


def run_read(db: "Database", fn: Callable[[], T]) -> T:
    """Run several SELECTs on one consistent snapshot (a deferred read transaction)."""
    conn = db.conn
    if conn.in_transaction:
        return fn()

    def attempt() -> T:
        conn.execute("BEGIN")
        try:
            return fn()
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    return _retry_busy(attempt, deadline_s=60.0)
