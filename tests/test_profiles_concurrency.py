"""8 threads and 2 processes update the same customer and cart at once: no lost update,
and no "database is locked" reaches a caller."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from profiles import ProfileStore, connect, migration_names

REPO = Path(__file__).resolve().parent.parent
THREADS, PROCESSES, ROUNDS = 8, 2, 15

# Each worker, per round: cart +1 (read-modify-write) and one brand learned through
# propose + confirm (the confirm merges into the current profile: read-modify-write).
WORKER = r"""
import json, sys, time
from pathlib import Path
from profiles import ProfileStore, connect
db_path, name, rounds, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
store = ProfileStore(connect(db_path))
while not go.exists():
    time.sleep(0.005)
errors = []
for i in range(rounds):
    try:
        store.cart_add("C1", "P0001", 1)
        store.confirm(store.propose("C1", "preferred_brands", {f"{name}-{i}": 0.5}))
    except Exception as exc:  # reported, never swallowed
        errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps(errors))
"""


def _worker_in_thread(db_path: Path, name: str, errors: list[str], barrier: threading.Barrier):
    store = ProfileStore(connect(db_path))  # one connection per thread
    barrier.wait()
    for i in range(ROUNDS):
        try:
            store.cart_add("C1", "P0001", 1)
            store.confirm(store.propose("C1", "preferred_brands", {f"{name}-{i}": 0.5}))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_threads_and_processes_lose_no_update(tmp_path):
    db_path, go = tmp_path / "shared.db", tmp_path / "go"
    store = ProfileStore(connect(db_path))
    store.add_customer("C1", "김민지")
    store.set_consent("C1", personalization=True)

    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), f"proc{p}",
                               str(ROUNDS), str(go)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in range(PROCESSES)]
    time.sleep(1.0)  # let the processes import and open their connections
    errors: list[str] = []
    barrier = threading.Barrier(THREADS + 1)
    threads = [threading.Thread(target=_worker_in_thread, args=(db_path, f"thr{t}", errors, barrier))
               for t in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    go.touch()
    for t in threads:
        t.join(timeout=120)
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        errors += json.loads(out.strip().splitlines()[-1])

    assert errors == []
    workers = THREADS + PROCESSES
    assert store.cart("C1")[0].qty == workers * ROUNDS
    brands = store.get("C1").preferred_brands
    assert len(brands) == workers * ROUNDS
    assert {f"proc1-{ROUNDS - 1}", f"thr7-{ROUNDS - 1}"} <= set(brands)
    logged = store.db.execute("SELECT COUNT(*) FROM change_log WHERE field = 'preferred_brands'")
    assert logged.fetchone()[0] == workers * ROUNDS


def test_one_store_shared_by_threads(tmp_path):
    store = ProfileStore(connect(tmp_path / "one.db"))
    store.add_customer("C1", "김민지")
    errors: list[str] = []

    def work():
        try:
            for _ in range(10):
                store.cart_add("C1", "P0002")
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.cart("C1")[0].qty == 80


def test_concurrent_first_open_migrates_once(tmp_path):
    path, errors = tmp_path / "fresh.db", []
    barrier = threading.Barrier(4)

    def open_store():
        barrier.wait()
        try:
            ProfileStore(connect(path))
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = connect(path)
    names = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names)) == len(migration_names())
