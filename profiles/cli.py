"""`python -m profiles --db PATH <command>`: seed, list, show, export, delete, stats, purge.

Examples:
    python -m profiles --db var/jangbogi.db seed --data data
    python -m profiles --db var/jangbogi.db list --json
    python -m profiles --db var/jangbogi.db show C001
    python -m profiles --db var/jangbogi.db export --customer C001 > C001.json
    python -m profiles --db var/jangbogi.db delete --customer C001 --yes
    python -m profiles --db var/jangbogi.db stats
    python -m profiles --db var/jangbogi.db purge

Errors print a Korean and an English line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path


def _default_db() -> Path:
    try:
        from assistant.settings import Settings

        return Settings.from_env().db_path
    except Exception:  # settings unavailable: fall back to the documented default
        return Path("var/jangbogi.db")


def _default_data() -> Path:
    try:
        from assistant.settings import Settings

        return Settings.from_env().data_dir
    except Exception:
        return Path("data")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m profiles", description="Jangbogi customer profiles (SQLite).",
        epilog="examples:" + __doc__.split("Examples:", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=None,
                        help="SQLite file (default: JANGBOGI_DB or var/jangbogi.db)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed", help="load demo customers and orders (idempotent)",
                       epilog="example: python -m profiles --db var/jangbogi.db seed --data data")
    p.add_argument("--data", type=Path, default=None, help="data folder holding customers/")
    p = sub.add_parser("list", help="list customers",
                       epilog="example: python -m profiles --db var/jangbogi.db list --json")
    p.add_argument("--json", action="store_true", help="JSON array with each customer's id")
    p = sub.add_parser("show", help="one customer's profile, consent, cart and order count",
                       epilog="example: python -m profiles --db var/jangbogi.db show C001")
    p.add_argument("customer_id")
    p = sub.add_parser("export", help="everything about a customer as JSON on stdout",
                       epilog="example: python -m profiles --db var/jangbogi.db export --customer C001")
    p.add_argument("--customer", required=True)
    p = sub.add_parser("delete", help="hard-delete a customer everywhere",
                       epilog="example: python -m profiles --db var/jangbogi.db delete --customer C001 --yes")
    p.add_argument("--customer", required=True)
    p.add_argument("--yes", action="store_true", help="confirm the deletion (required)")
    sub.add_parser("stats", help="row counts, schema version, journal mode",
                   epilog="example: python -m profiles --db var/jangbogi.db stats")
    sub.add_parser("purge", help="delete conversation turns past their retention",
                   epilog="example: python -m profiles --db var/jangbogi.db purge")
    return parser


def _print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=list))


def _fail(user_message: str, message: str) -> int:
    print(f"오류: {user_message}\nerror: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from database import DatabaseBusy, connect
    from profiles.errors import ProfileError
    from profiles.store import ProfileStore

    db_path = args.db or _default_db()
    if args.command != "seed" and not Path(db_path).exists():
        return _fail(f"데이터베이스 파일이 없어요: {db_path}", f"database not found: {db_path}")
    try:
        store = ProfileStore(connect(db_path))
        return _COMMANDS[args.command](store, args)
    except (ProfileError, DatabaseBusy) as exc:
        return _fail(exc.user_message, str(exc))


def _seed(store, args) -> int:
    from tqdm import tqdm

    from profiles.seed import seed

    report = seed(store, args.data or _default_data(),
                  progress=lambda it, total: tqdm(it, total=total, file=sys.stderr, leave=False))
    _print_json(asdict(report))
    return 0


def _list(store, args) -> int:
    customers = store.list_customers()
    if args.json:
        _print_json([{"id": c.id, "display_name": c.display_name, "age_band": c.age_band,
                      "region": c.region, "persona": c.persona} for c in customers])
    else:
        for c in customers:
            print(f"{c.id}\t{c.display_name}\t{c.age_band or '-'}\t{c.region or '-'}")
    return 0


def _show(store, args) -> int:
    customer = store.get(args.customer_id)
    data = asdict(customer)
    data["consent"] = asdict(store.consent(customer.id))
    data["cart"] = [asdict(i) for i in store.cart(customer.id)]
    data["orders"] = len(store.orders(customer.id))
    data["pending_proposals"] = [asdict(p) for p in store.pending(customer.id)]
    _print_json(data)
    return 0


def _export(store, args) -> int:
    _print_json(store.export(args.customer))
    return 0


def _delete(store, args) -> int:
    if not args.yes:
        return _fail("삭제하려면 --yes를 붙여 주세요. 되돌릴 수 없어요.",
                     "refusing to delete without --yes (this cannot be undone)")
    counts = store.delete(args.customer)
    _print_json({"deleted": args.customer, "rows": counts})
    return 0


def _stats(store, args) -> int:
    from database.migrations import migration_names, schema_version
    from profiles.privacy import customer_tables

    db = store.db
    tables = ["customers", *customer_tables(db), "order_items"]
    counts = {t: db.conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    consents = {k: n for k, n in db.conn.execute(
        "SELECT kind, SUM(granted) FROM consents GROUP BY kind")}
    _print_json({"schema_version": schema_version(db), "latest_version": len(migration_names()),
                 "journal_mode": db.journal_mode, "rows": counts, "consents_granted": consents})
    return 0


def _purge(store, args) -> int:
    _print_json(store.purge_expired())
    return 0


_COMMANDS = {"seed": _seed, "list": _list, "show": _show, "export": _export, "delete": _delete,
             "stats": _stats, "purge": _purge}


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return run(args)
    except BrokenPipeError:  # e.g. `list | head`: the reader left, which is not an error
        sys.stdout = open(os.devnull, "w")
        return 0
