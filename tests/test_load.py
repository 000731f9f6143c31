"""The load bench (`python -m ui.loadtest`) and what it found (issue 19, deliverable 3).

- Twenty shoppers signing in at once from one address (the bench's 127.0.0.1, a store's
  Wi-Fi, a proxy) were told "PIN을 5번 잘못 입력해 … 잠겼어요" with the right PIN: running
  attempts counted as failures. They now wait their turn; wrong guesses still lock.
- The harness itself runs end to end at 2 shoppers (slow: it starts the app).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from ui import auth
from ui.auth import Gate, Lockout, SessionTokens
from ui.loadtest import cart_lines, percentile, plan_for


class SlowPins:
    """verify_pin that takes a while (like PBKDF2 under load); PIN 1234 is right."""

    def __init__(self, delay: float = 0.15) -> None:
        self.delay, self.calls, self._mutex = delay, 0, threading.Lock()

    def verify_pin(self, customer_id, pin):
        with self._mutex:
            self.calls += 1
        time.sleep(self.delay)
        return pin == "1234"


def _parallel(gate, profiles, attempts):
    results = [None] * len(attempts)

    def one(i, cid, pin, client):
        results[i] = gate.check_customer_pin(profiles, cid, pin, client)

    threads = [threading.Thread(target=one, args=(i, *a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_right_pins_at_once_from_one_address_all_sign_in():
    gate = Gate.ephemeral()
    results = _parallel(gate, SlowPins(), [(f"C{i:03d}", "1234", "127.0.0.1") for i in range(20)])
    assert [r.message for r in results if not r.ok] == []


def test_right_pins_running_do_not_turn_one_wrong_pin_into_a_lock():
    gate = Gate.ephemeral()
    attempts = [(f"C{i:03d}", "1234", "10.0.0.1") for i in range(6)] + [("C100", "0000", "10.0.0.1")]
    results = _parallel(gate, SlowPins(), attempts)
    assert all(r.ok for r in results[:6])
    assert results[6].message == auth.WRONG_PIN


def test_parallel_wrong_guesses_from_one_address_still_lock_after_five():
    gate, pins = Gate.ephemeral(), SlowPins(0.05)
    results = _parallel(gate, pins, [(f"C{i:03d}", "0000", "6.6.6.6") for i in range(12)])
    assert pins.calls == 5                      # only five PINs were ever checked
    assert sum("잠겼어요" in r.message for r in results) >= 7
    assert "잠겼어요" in gate.check_customer_pin(pins, "C999", "1234", "6.6.6.6").message


def test_a_sign_in_stuck_behind_running_attempts_gets_a_busy_message_not_a_lock():
    clock = [1000.0]
    lock = Lockout(clock=lambda: clock[0])
    for _ in range(5):
        assert lock.begin("client:x", wait_s=0)[0] == 0
    wait, _ = lock.begin("client:x", wait_s=0.05)
    assert wait == -1.0                          # busy: Gate answers auth.BUSY
    assert lock.begin("client:x")[0] == 300      # without waiting: the old refusal
    gate = Gate(SessionTokens(b"k" * 32, clock=lambda: clock[0]), None, lock)
    old = auth.WAIT_S
    auth.WAIT_S = 0.05
    try:
        assert gate.check_customer_pin(SlowPins(0), "C001", "1234", "x").message == auth.BUSY
    finally:
        auth.WAIT_S = old


def test_plan_percentile_and_cart_parsing():
    assert plan_for(6) == ["sign_in", "search", "search", "add", "cart", "checkout"]
    assert plan_for(3) == ["sign_in", "search", "add"]
    with pytest.raises(ValueError):
        plan_for(0)
    assert percentile(list(range(1, 101)), 95) == 95 and percentile([], 50) == 0.0
    html = ('<tr><td>우유 1L</td><td class="jb-num">2</td><td class="jb-num">5,000원</td></tr>'
            '<tr><td>김 &lt;10매&gt;</td><td class="jb-num">1</td><td class="jb-num">3,000원</td></tr>')
    assert cart_lines(html) == {"우유 1L": 2, "김 <10매>": 1}


@pytest.mark.slow
def test_load_harness_two_shoppers_end_to_end(repo_root):
    """2 shoppers x 4 turns (sign in, search with an allergen, add, checkout), template answers."""
    out = subprocess.run([sys.executable, "-m", "ui.loadtest", "--sessions", "2", "--turns", "4", "--json",
                          "--no-llm"], cwd=repo_root, capture_output=True, text=True, timeout=900, check=False)
    assert out.stdout.strip(), out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["sessions"] == 2 and result["turns"] == 4
    assert (result["errors"], result["leaks"], result["lost_writes"]) == (0, 0, 0), result["details"]
    assert result["orders"] == 2
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert set(result["by_kind"]) == {"sign_in", "search", "add", "checkout"}
    assert out.returncode == 0


def test_one_shared_connection_survives_parallel_checkouts_and_cart_writes(tmp_path):
    """The app shares one SQLite connection between Gradio's worker threads. Two threads
    checking out while two others write carts used to run inside each other's transaction
    ("no such savepoint", "cannot start a transaction within a transaction") and left the
    stock cache different from its events; now every write is whole and the ledger reconciles."""
    from database import open_database
    from profiles import ProfileStore
    from store.orders import checkout
    from store.stock import StockLedger

    class P:
        def __init__(self, pid):
            self.id, self.name, self.effective_price = pid, pid, 1000

    db = open_database(tmp_path / "shared.db")
    profiles, ledger = ProfileStore(db, auto_migrate=False), StockLedger(db)
    catalog = {f"P{i}": P(f"P{i}") for i in range(4)}
    for pid in catalog:
        ledger.receive(pid, 100_000)
    profiles.add_customer("A", "가")
    errors, orders, last_qty = [], [], {}
    stop = time.monotonic() + 2.0

    def buyer():
        while time.monotonic() < stop:
            try:
                orders.append(checkout(db, None, [("P1", 1), ("P2", 2)], catalog, source="load").id)
            except Exception as exc:  # noqa: BLE001 - counted
                errors.append(repr(exc))

    def carter(pid):
        n = 0
        while time.monotonic() < stop:
            n = n % 999 + 1
            try:
                profiles.cart_set("A", pid, n)
                last_qty[pid] = n
            except Exception as exc:  # noqa: BLE001 - counted
                errors.append(repr(exc))

    threads = [threading.Thread(target=buyer) for _ in range(2)]
    threads += [threading.Thread(target=carter, args=(pid,)) for pid in ("P0", "P3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors[:3] == [] and orders
    assert ledger.reconcile().ok
    assert ledger.level("P1") == 100_000 - len(orders) and ledger.level("P2") == 100_000 - 2 * len(orders)
    sold = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    assert sold == len(orders) == len(set(orders))
    assert dict(db.execute("SELECT product_id, qty FROM cart_items WHERE customer_id = 'A'").fetchall()) == last_qty
