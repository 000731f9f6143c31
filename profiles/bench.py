"""Benchmark of the profiles store on a temporary SQLite file.

Measures: single-connection write latency (cart_add), ranking_features latency with a
long purchase history, 8 threads + 2 processes hammering one customer's cart (ops/s,
worst latency, errors, exact final count), export and hard delete of that customer.

    python -m profiles.bench                # prints JSON
    python -m profiles.bench --out docs/benchmarks/profiles.json

Leaves out: very large databases (the demo has tens of customers).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

WORKER = r"""
import sys, time, json
from pathlib import Path
from profiles import ProfileStore, connect
store = ProfileStore(connect(sys.argv[1])); n = int(sys.argv[2]); go = Path(sys.argv[3])
product = sys.argv[4]
while not go.exists(): time.sleep(0.002)
lat, errors = [], 0
for _ in range(n):
    t = time.perf_counter()
    try: store.cart_add("B1", product, 1)
    except Exception: errors += 1
    lat.append(time.perf_counter() - t)
print(json.dumps({"lat": lat, "errors": errors}))
"""


def _ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50_ms": round(statistics.median(values) * 1000, 2),
            "p99_ms": round(values[int(0.99 * (len(values) - 1))] * 1000, 2),
            "max_ms": round(values[-1] * 1000, 2)}


def run(ops: int, threads: int, processes: int) -> dict:
    from profiles import ProfileStore, connect

    if not 1 <= ops <= 999:
        raise SystemExit("--ops must be within 1..999 (the cart's per-line maximum)")
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = ProfileStore(connect(path))
        store.add_customer("B1", "벤치고객", allergies=["땅콩"], dietary=["비건"])
        store.set_consent("B1", personalization=True, history=True)

        lat = []
        for i in range(ops):
            t = time.perf_counter()
            store.cart_add("B1", f"P{i % 50:04d}", 1)
            lat.append(time.perf_counter() - t)
        result["cart_add_single"] = {"ops": ops, **_ms(lat)}
        store.cart_clear("B1")

        now = datetime(2026, 11, 21, tzinfo=timezone.utc)
        info = {f"P{i:04d}": (f"간식·과자/과자/s{i % 7}", f"브랜드{i % 11}") for i in range(60)}
        t = time.perf_counter()
        for i in range(300):
            items = [(f"P{(i * 3 + k) % 60:04d}", 1, 1000 + 100 * k) for k in range(3)]
            store.record_order("B1", items, created_at=now - timedelta(days=i % 365),
                               product_info=info)
        result["record_order_300"] = {"s": round(time.perf_counter() - t, 2)}
        signals = store.db.execute("SELECT COUNT(*) FROM signals").fetchone()[0]
        lat = []
        for _ in range(50):
            t = time.perf_counter()
            store.ranking_features("B1", now)
            lat.append(time.perf_counter() - t)
        result["ranking_features"] = {"signals": signals, **_ms(lat)}

        go = Path(tmp) / "go"
        procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(path), str(ops), str(go),
                                   f"PP{n}"],
                                  stdout=subprocess.PIPE, text=True,
                                  cwd=Path(__file__).resolve().parent.parent)
                 for n in range(processes)]
        time.sleep(1.5)
        lat, errors, lock = [], [0], threading.Lock()

        def work(product: str) -> None:
            s = ProfileStore(connect(path))
            mine = []
            for _ in range(ops):
                t0 = time.perf_counter()
                try:
                    s.cart_add("B1", product, 1)
                except Exception:
                    with lock:
                        errors[0] += 1
                mine.append(time.perf_counter() - t0)
            with lock:
                lat.extend(mine)

        pool = [threading.Thread(target=work, args=(f"PT{n}",)) for n in range(threads)]
        start = time.perf_counter()
        go.touch()
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        for p in procs:
            out = json.loads(p.communicate()[0].strip().splitlines()[-1])
            lat += out["lat"]
            errors[0] += out["errors"]
        wall = time.perf_counter() - start
        expected = ops * (threads + processes)
        result["contention"] = {"threads": threads, "processes": processes, "ops": expected,
                                "wall_s": round(wall, 2), "ops_per_s": round(expected / wall),
                                "errors": errors[0],
                                "lost_updates": sum(ops - i.qty for i in store.cart("B1")),
                                **_ms(lat)}
        t = time.perf_counter()
        size = len(json.dumps(store.export("B1"), ensure_ascii=False))
        result["export"] = {"ms": round((time.perf_counter() - t) * 1000, 1), "json_chars": size}
        t = time.perf_counter()
        rows = sum(store.delete("B1").values())
        result["delete"] = {"ms": round((time.perf_counter() - t) * 1000, 1), "rows": rows}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m profiles.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=200, help="operations per worker")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the JSON here (atomically)")
    args = parser.parse_args(argv)
    result = run(args.ops, args.threads, args.processes)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        tmp = args.out.with_suffix(args.out.suffix + ".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
