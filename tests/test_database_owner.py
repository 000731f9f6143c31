"""One owner of the database: one `connect`, one write helper, tables only from migrations,
migrated once at start-up."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app.py", "ui", "assistant", "database", "finetune", "profiles", "retrieval", "store",
            "scripts")
MIGRATIONS = ROOT / "database" / "migrations.py"
# SQL that makes a table, and sqlite-utils' ways of making one (`db["t"].create(...)`,
# `db.create_table(...)`, `.create_view(`); `ProfileStore.add_customer(customer_id, ...)` is not.
CREATES_TABLE = re.compile(
    r"CREATE\s+(TEMP\s+|TEMPORARY\s+|VIRTUAL\s+)?(TABLE|VIEW)\b|\]\s*\.\s*create\s*\("
    r"|\.create_table\s*\(|\.create_view\s*\(|\.create_table_sql\s*\(", re.IGNORECASE)


def _sources():
    for name in PACKAGES:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(path.rglob("*.py")) if path.is_dir() else []
        yield from (f for f in files if "__pycache__" not in f.parts)


def test_scan_finds_the_sources_and_would_catch_a_table():
    files = list(_sources())
    assert MIGRATIONS in files and len(files) > 50
    for bad in ('db["orders"].create({"id": str})', 'conn.execute("create table x (a)")',
                "db.create_table('t', {})", 'CREATE TEMP TABLE t (a)'):
        assert CREATES_TABLE.search(bad), bad
    assert not CREATES_TABLE.search('store.add_customer("C001", "김민지")')


def test_no_module_outside_the_migrations_creates_a_table():
    offenders = [f"{f.relative_to(ROOT)}:{n}: {line.strip()}"
                 for f in _sources() if f != MIGRATIONS
                 for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
                 if CREATES_TABLE.search(line)]
    assert offenders == []


def test_exactly_one_connect_and_one_write_transaction_helper():
    defs = {}
    for f in _sources():
        text = f.read_text(encoding="utf-8")
        for name in ("connect", "run_write", "immediate", "ensure_order_tables",
                     "ensure_stock_tables"):
            if re.search(rf"^\s*def {name}\(", text, re.MULTILINE):
                defs.setdefault(name, []).append(str(f.relative_to(ROOT)))
    assert defs.pop("connect") == ["database/connection.py"]
    assert defs.pop("run_write") == ["database/connection.py"]
    assert defs == {}
    # no raw BEGIN outside the connection module: every write goes through run_write
    begins = [str(f.relative_to(ROOT)) for f in _sources() if f.name != "connection.py"
              and re.search(r"""execute\(\s*["']BEGIN""", f.read_text(encoding="utf-8"))]
    assert begins == []


def test_assistant_actions_run_no_sql():
    for name in ("actions.py", "aftersales.py"):
        path = ROOT / "assistant" / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\.(execute|query|executemany)\(", text), name
            assert not re.search(r"\b(select|insert|update|delete)\s+.*\b(from|into|set)\b", text,
                                 re.IGNORECASE), name


def test_every_table_comes_from_the_migrations():
    from database import migrate, open_database

    db = open_database(":memory:")
    assert {"customers", "orders", "order_items", "cart_items", "stock_events",
            "stock_levels"} <= set(db.table_names())
    assert migrate(db) == len(importlib.import_module("database").migration_names())


def test_a_store_on_an_unmigrated_database_says_what_to_do():
    from database import connect
    from store.stock import StockLedger

    with pytest.raises(RuntimeError, match="open_database"):
        StockLedger(connect(":memory:"))


def test_start_up_migrates_once(tmp_path, monkeypatch):
    import database.migrations
    import profiles._base
    from assistant.factory import open_store
    from assistant.settings import Settings
    from assistant.testing import tiny_catalog

    calls = []
    real = database.migrations.migrate

    def counting(db, **kw):
        calls.append(1)
        return real(db, **kw)

    # every way in: database.open_database / database.migrate, and ProfileStore's auto-migrate
    monkeypatch.setattr(database.migrations, "migrate", counting)
    monkeypatch.setattr(profiles._base, "migrate", counting)
    settings = Settings(db_path=tmp_path / "j.db")
    db, profiles_store, ledger = open_store(settings, tiny_catalog())
    assert len(calls) == 1
    assert ledger.level("P0001") > 0 and profiles_store.list_customers() == []
    assert database.migrations.schema_version(db) == len(database.migrations.migration_names())


@pytest.mark.parametrize("name", ["database.connection", "database.migrations", "database.errors"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
