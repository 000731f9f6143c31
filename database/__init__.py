"""The one owner of the shared SQLite file: connections, write transactions, migrations.

- `connect(path)` opens it (WAL, busy timeout, foreign keys); `open_database(path)` also
  migrates it: entry points call this once at start-up and pass the handle on.
- `run_write(db, fn)` is the only write-transaction helper (`BEGIN IMMEDIATE`, retried
  while another writer holds the lock); `run_read(db, fn)` reads one snapshot.
- `migrate(db)` applies the registered migrations of `database.migrations`, the only
  place in the code base that creates a table (`tests/test_database_owner.py` checks).

Who owns what inside: `profiles/` the customer tables (profile, consent, cart, history),
`store/` orders, stock and everything after checkout. Imports are lazy: importing
`database` opens nothing.

    from database import open_database
    db = open_database("var/jangbogi.db")
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "connect": "database.connection", "open_database": "database.connection",
    "run_write": "database.connection", "run_read": "database.connection",
    "is_busy": "database.connection", "connection_lock": "database.connection",
    "migrate": "database.migrations", "schema_version": "database.migrations",
    "migration_names": "database.migrations",
    "DatabaseBusy": "database.errors", "DatabaseUnavailable": "database.errors",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'database' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
