"""Kill a process in the middle of checkouts, again and again, and check what it leaves behind.

    python -m store.faults --tries 50 --json [--seed N] [--keep]

One temporary database (migrated, stock opened from the catalog, eight customers) lives for
the whole run. Each try starts a worker process (`--worker`) that does what the app does
at checkout, through the same service functions, as fast as it can: fill a customer's cart
(`ProfileStore.cart_set`), then place the order, alternating `store.orders.checkout` (the
assistant's checkout), `store.lifecycle.place_order` (slot + sandbox card payment) and an
anonymous kiosk order. The worker is killed with SIGKILL at a random point, one of two ways:

- `timer`: the parent kills it 20-800 ms after it is ready (anywhere in the loop);
- `statement`: a fault-injection hook (`sqlite3.Connection.set_trace_callback`) kills the
  worker itself just before its N-th SQL statement (N random), so the kill lands inside
  transactions: between an order and its items, between stock events, before COMMIT.

After each kill the parent "restarts": it opens the database the way the app does
(`database.open_database`) and checks (`check_database`):
`PRAGMA integrity_check` and `foreign_key_check`; the stock reconcile (cached levels =
sums of events, nothing negative); no order without items; no items without an order; no
sale event without its order; each order's sale events = its items; each delivery slot's
`taken` = its live orders; no payment row without an order. A try counts as consistent when
every check passes. At the end, card orders that a kill left unpaid (order written, payment
not recorded) are paid again with `store.lifecycle.pay`, which must charge each exactly once.

Exit status 0 when every try was consistent.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CUSTOMERS = [f"K{i:03d}" for i in range(1, 9)]
REGIONS = ["서울 관악구 신림동", "경기 성남시 분당구", "부산 해운대구", "서울 마포구 합정동"]


def _catalog(data_dir: Path | None = None) -> dict:
    from assistant.settings import REPO_ROOT
    from store.catalog import load_catalog

    path = Path(data_dir or REPO_ROOT / "data") / "catalog" / "products.jsonl"
    return {p.id: p for p in load_catalog(path)}


def make_database(path: Path, catalog: dict) -> None:
    """A fresh, migrated database with opening stock and eight customers."""
    from database import open_database
    from profiles import ProfileStore
    from store.stock import StockLedger

    db = open_database(path)
    StockLedger(db).seed_from_catalog(catalog.values())
    profiles = ProfileStore(db, auto_migrate=False)
    for i, cid in enumerate(CUSTOMERS):
        profiles.add_customer(cid, f"고객{i + 1}", pin=f"{1000 + i}")
    db.conn.close()


# ---- the checks after a restart ---------------------------------------------------------------
def check_database(path: Path) -> list[str]:
    """Every inconsistency of the database at `path` ([] = consistent), opened like the app."""
    from database import open_database
    from store.stock import StockLedger

    db = open_database(path)
    conn = db.conn
    problems: list[str] = []

    def rows(sql: str) -> list:
        return conn.execute(sql).fetchall()

    try:
        integrity = rows("PRAGMA integrity_check")
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity[:3]}")
        fk = rows("PRAGMA foreign_key_check")
        if fk:
            problems.append(f"foreign_key_check: {fk[:3]}")
        report = StockLedger(db).reconcile()
        if not report.ok:
            problems.append(f"stock reconcile: mismatches {report.mismatches[:3]} negatives {report.negatives[:3]}")
        checks = {
            "order without items": "SELECT id FROM orders o WHERE NOT EXISTS "
                                   "(SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
            "items without an order": "SELECT order_id FROM order_items i WHERE NOT EXISTS "
                                      "(SELECT 1 FROM orders o WHERE o.id = i.order_id)",
            "sale event without its order": "SELECT id, ref FROM stock_events e WHERE kind = 'sale' AND NOT EXISTS "
                                            "(SELECT 1 FROM orders o WHERE o.id = e.ref)",
            "sale events != order items": """
                SELECT o.id FROM orders o WHERE EXISTS (
                  SELECT product_id, SUM(qty) FROM order_items WHERE order_id = o.id GROUP BY product_id
                  EXCEPT
                  SELECT product_id, -SUM(qty) FROM stock_events WHERE ref = o.id AND kind = 'sale'
                    GROUP BY product_id)
                OR EXISTS (
                  SELECT product_id, -SUM(qty) FROM stock_events WHERE ref = o.id AND kind = 'sale'
                    GROUP BY product_id
                  EXCEPT
                  SELECT product_id, SUM(qty) FROM order_items WHERE order_id = o.id GROUP BY product_id)""",
            "slot taken != its live orders": """
                SELECT s.id, s.taken, (SELECT COUNT(*) FROM orders o WHERE o.slot_id = s.id
                                       AND o.status != 'cancelled') AS live
                FROM delivery_slots s WHERE s.taken != live""",
            "payment without an order": "SELECT id FROM payments p WHERE NOT EXISTS "
                                        "(SELECT 1 FROM orders o WHERE o.id = p.order_id)",
            "order event without an order": "SELECT id FROM order_events e WHERE NOT EXISTS "
                                            "(SELECT 1 FROM orders o WHERE o.id = e.order_id)",
        }
        for name, sql in checks.items():
            found = rows(sql)
            if found:
                problems.append(f"{name}: {len(found)} e.g. {found[:3]}")
    finally:
        conn.close()
    return problems


def counts(path: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("orders", "order_items", "stock_events", "payments", "cart_items")}
    finally:
        conn.close()


# ---- the worker ---------------------------------------------------------------------------------
def worker(db_path: Path, seed: int, kill_at: int) -> None:
    """Checkouts in a loop until killed (never returns on its own)."""
    from database import open_database
    from profiles import ProfileStore
    from store.delivery import SlotFull
    from store.lifecycle import place_order
    from store.orders import CheckoutError, checkout
    from store.payment import PaymentError, SandboxProvider
    from store.stock import InsufficientStock, StockLedger

    catalog = _catalog()
    db = open_database(db_path)
    profiles = ProfileStore(db, auto_migrate=False)
    levels = StockLedger(db).levels()
    products = sorted(pid for pid, q in levels.items() if q > 0 and pid in catalog)
    rng = random.Random(seed)
    provider = SandboxProvider(db)
    if kill_at:
        seen = [0]

        def trace(sql: str) -> None:   # the fault-injection hook: runs before each statement
            seen[0] += 1
            if seen[0] >= kill_at:
                inside = int(db.conn.in_transaction)
                os.write(2, f"KILLED-BEFORE {inside} {' '.join(sql.split())[:80]}\n".encode())
                os.kill(os.getpid(), signal.SIGKILL)

        db.conn.set_trace_callback(trace)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        customer = rng.choice(CUSTOMERS) if n % 3 else None
        picked = rng.sample(products, k=rng.randint(1, 3))
        try:
            if customer:
                for pid in picked:
                    profiles.cart_set(customer, pid, rng.randint(1, 2))
                items = [(c.product_id, c.qty) for c in profiles.cart(customer)]
            else:
                items = [(pid, 1) for pid in picked]
            if n % 3 == 1:
                place_order(db, customer, items, catalog, region_text=rng.choice(REGIONS),
                            provider=provider, source="faults")
            else:
                checkout(db, customer, items, catalog, source="faults")
        except (InsufficientStock, SlotFull, CheckoutError, PaymentError):
            if customer:
                profiles.cart_clear(customer)


# ---- the loop -----------------------------------------------------------------------------------
def one_try(db_path: Path, rng: random.Random, mode: str, timeout_s: float = 180.0) -> dict:
    kill_at = rng.randint(1, 1200) if mode == "statement" else 0
    before = counts(db_path)
    cmd = [sys.executable, "-m", "store.faults", "--worker", str(db_path), "--seed", str(rng.randrange(10**9)),
           "--kill-at", str(kill_at)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        _, err = proc.communicate()
        return {"mode": mode, "killed": False, "error": f"worker did not start: {err[-500:]}"}
    if mode == "timer":
        time.sleep(rng.uniform(0.02, 0.8))
        proc.send_signal(signal.SIGKILL)
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    killed = proc.returncode == -signal.SIGKILL
    point = next((ln.split(" ", 1)[1] for ln in err.splitlines() if ln.startswith("KILLED-BEFORE ")), "")
    inside = point.startswith("1 ")
    point = point[2:]
    crashed = "Traceback" in err
    after = counts(db_path)
    problems = check_database(db_path)
    return {"mode": mode, "killed": killed, "kill_at": kill_at, "point": point, "in_transaction": inside,
            "orders_placed": after["orders"] - before["orders"], "problems": problems,
            "error": err[-800:] if crashed else ""}


def _statement_kind(sql: str) -> str:
    """"INSERT INTO order_items (...)" -> "INSERT order_items"; "COMMIT" -> "COMMIT".

    >>> _statement_kind("UPDATE delivery_slots SET taken = taken + 1"), _statement_kind("BEGIN IMMEDIATE")
    ('UPDATE delivery_slots', 'BEGIN IMMEDIATE')
    >>> _statement_kind("INSERT OR IGNORE INTO payments (order_id) VALUES (?)")
    'INSERT payments'
    """
    words = sql.replace("(", " ").split()
    if not words:
        return ""
    head = words[0].upper()
    if head == "INSERT" and len(words) > 4 and words[1].upper() == "OR":
        return f"INSERT {words[4]}"
    if head in ("INSERT", "DELETE", "REPLACE") and len(words) > 2:
        return f"{head} {words[2] if words[1].upper() in ('INTO', 'FROM') else words[1]}"
    if head == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if head == "SELECT":
        return "SELECT"
    return " ".join(words[:2]).upper()


def repay(db_path: Path) -> dict:
    """Card orders a kill left unpaid: pay again (idempotent keys) and count the charges."""
    from database import open_database
    from store.lifecycle import pay
    from store.payment import CARD, SandboxProvider

    db = open_database(db_path)
    try:
        unpaid = [r[0] for r in db.conn.execute(
            "SELECT id FROM orders WHERE status = 'created' AND payment_method = ?", (CARD,))]
        provider = SandboxProvider(db)
        for oid in unpaid:
            pay(db, oid, provider)
        marks = ",".join("?" * len(unpaid))
        still = db.conn.execute(f"SELECT COUNT(*) FROM orders WHERE id IN ({marks}) AND status != 'paid'",
                                unpaid).fetchone()[0] if unpaid else 0
        twice = db.conn.execute(
            "SELECT COUNT(*) FROM (SELECT o.id FROM orders o JOIN pg_sandbox g "
            "ON g.idempotency_key = o.id || ':capture' GROUP BY o.id HAVING COUNT(*) > 1)").fetchone()[0]
        wrong = db.conn.execute(
            "SELECT COUNT(*) FROM orders o JOIN pg_sandbox g ON g.idempotency_key = o.id || ':capture' "
            "WHERE g.amount != o.total").fetchone()[0]
        return {"unpaid_after_kills": len(unpaid), "still_unpaid": still, "charged_twice": twice,
                "charged_wrong_amount": wrong}
    finally:
        db.conn.close()


def run(tries: int, seed: int = 50, keep: bool = False, log=None) -> dict:
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="jangbogi-faults-"))
    db_path = tmp / "faults.db"
    try:
        t0 = time.perf_counter()
        make_database(db_path, _catalog())
        baseline = check_database(db_path)
        results = []
        for i in range(tries):
            mode = "statement" if i % 2 else "timer"
            res = one_try(db_path, rng, mode)
            results.append(res)
            status = "ok" if res["killed"] and not res["problems"] and not res["error"] else "FAIL"
            log(f"[faults] try {i + 1}/{tries} {mode:9s} {status} orders+{res.get('orders_placed', 0)} "
                f"{res.get('point', '')[:60]}")
        consistent = sum(1 for r in results if r["killed"] and not r["problems"] and not r["error"])
        paid = repay(db_path)
        final = check_database(db_path)
        points = Counter(_statement_kind(r["point"]) for r in results if r.get("point"))
        out = {
            "tries": tries, "killed": sum(r["killed"] for r in results), "consistent": consistent,
            "orders_placed": sum(r.get("orders_placed", 0) for r in results),
            "tries_with_orders": sum(1 for r in results if r.get("orders_placed", 0) > 0),
            "modes": dict(Counter(r["mode"] for r in results)),
            "killed_before": dict(points.most_common()),
            "killed_inside_transaction": sum(1 for r in results if r.get("in_transaction")),
            "baseline_problems": baseline, "final_problems": final, **paid,
            "failures": [r for r in results if not (r["killed"] and not r["problems"] and not r["error"])][:10],
            "seconds": round(time.perf_counter() - t0, 1), "final_counts": counts(db_path),
        }
        if keep:
            out["kept"] = str(db_path)
        return out
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store.faults",
                                     description="SIGKILL during checkouts, then check the database")
    parser.add_argument("--tries", type=int, default=50)
    parser.add_argument("--seed", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the database (path in the output)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kill-at", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.seed, args.kill_at)
        return 1
    if args.tries < 1:
        parser.error("--tries must be at least 1")
    result = run(args.tries, args.seed, args.keep)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["consistent"] == result["tries"] and not result["final_problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
