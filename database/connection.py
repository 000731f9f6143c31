"""Connections and write transactions for the shared SQLite file (the only ones).

`connect(path)` opens a `sqlite_utils.Database` in WAL mode with a busy timeout and foreign
keys on. `run_write(db, fn)` runs `fn()` as one `BEGIN IMMEDIATE` transaction and retries
with backoff when another connection holds the write lock, so "database is locked" never
reaches a caller (it becomes `DatabaseBusy` only after `deadline_s`). Inside a transaction
that the caller already opened, `run_write` joins it through a savepoint instead: the
caller commits. `open_database(path)` is `connect` + `migrate`, for entry points.

Threads: the app shares one connection between Gradio's worker threads, and SQLite keeps
one transaction per connection, so `run_write` and `run_read` hold the connection's lock
(`connection_lock(db)`, re-entrant; `ProfileStore` uses the same one) for the whole
transaction. Without it, a checkout in one thread and a cart write in another ran inside
each other's transaction: savepoint errors, and a stock cache that no longer matched its
events (`tests/test_load.py`). Leaves out: the schema (see `database.migrations`) and pooling.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from database.errors import DatabaseBusy, DatabaseUnavailable

if TYPE_CHECKING:
    from sqlite_utils import Database

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
RETRIES_PER_TIMEOUT = 6   # run_write's deadline, in busy timeouts of the connection
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)
# primary result codes of a database that cannot be written -> DatabaseUnavailable.kind
_UNWRITABLE = {8: "readonly", 13: "full", 10: "io", 14: "io", 3: "readonly"}   # READONLY FULL IOERR CANTOPEN PERM
_LOCKS_GUARD = threading.Lock()


def connection_lock(db: "Database") -> threading.RLock:
    """The re-entrant lock of `db`'s connection: held for each transaction on it.

        >>> db = connect(":memory:")
        >>> connection_lock(db) is connection_lock(db)
        True
    """
    lock = getattr(db, "_jangbogi_lock", None)
    if lock is None:
        with _LOCKS_GUARD:
            lock = getattr(db, "_jangbogi_lock", None)
            if lock is None:
                lock = threading.RLock()
                db._jangbogi_lock = lock
    return lock


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


def unwritable(exc: BaseException) -> str | None:
    """"readonly", "full" or "io" when `exc` says the database cannot be written, else None.

        >>> e = sqlite3.OperationalError("database or disk is full"); e.sqlite_errorcode = 13
        >>> unwritable(e), unwritable(ValueError("x"))
        ('full', None)
    """
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return _UNWRITABLE.get(code & 0xFF)
    text = str(exc).lower()
    return ("readonly" if "readonly" in text or "read-only" in text else
            "full" if "full" in text else "io" if "disk i/o" in text else None)


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
    default) with `DatabaseBusy`; nothing of `fn` is then written. A read-only file or
    disk, a full disk or an I/O error raise `DatabaseUnavailable` (Korean `user_message`),
    nothing written either.
    """
    if deadline_s is None:
        deadline_s = getattr(db, "write_deadline_s", 60.0)
    conn = db.conn

    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.DatabaseError:   # an I/O error can break the rollback too
                    pass
            raise
        return result

    with connection_lock(db):    # another thread's transaction on this connection ends first
        if conn.in_transaction:
            with db.atomic():  # a savepoint in this thread's own open transaction
                return fn()
        try:
            return _retry_busy(attempt, deadline_s=deadline_s)
        except sqlite3.DatabaseError as exc:
            kind = unwritable(exc)
            if kind is None:
                raise
            raise DatabaseUnavailable(kind, str(exc)) from exc


def run_read(db: "Database", fn: Callable[[], T]) -> T:
    """Run several SELECTs on one consistent snapshot (a deferred read transaction)."""
    conn = db.conn

    def attempt() -> T:
        conn.execute("BEGIN")
        try:
            return fn()
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    with connection_lock(db):
        if conn.in_transaction:
            return fn()
        return _retry_busy(attempt, deadline_s=60.0)
