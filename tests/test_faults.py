"""Faults (issue 19, deliverable 4): a kill mid-checkout, a read-only or full disk at checkout,
a generation backend that dies mid-stream.

- `store.faults` SIGKILLs a worker doing real checkouts and checks the database after each
  kill (`python -m store.faults --tries 50 --json` is the 50-try figure in the docs).
- Read-only database: `PRAGMA query_only` on the app's open connection, which makes SQLite
  answer every write with its real SQLITE_READONLY error. (A real read-only remount cannot be
  staged under a running app: the kernel refuses to remount read-only while the database is
  open for writing.)
- Full disk: for real on a 4 MiB tmpfs filled to the last byte, when the tests run as root
  and `mount` works; everywhere, a fault hook that fails each write with SQLITE_FULL.
- A streaming backend killed (SIGKILL) or stalled mid-answer, or a generator raising
  mid-stream: the turn ends with the template answer, within the generation timeout.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from database.errors import DatabaseUnavailable

KOREAN_REFUSALS = tuple(DatabaseUnavailable.MESSAGES.values())


# ---- kill during checkout ---------------------------------------------------------------------
@pytest.mark.slow
def test_kills_during_checkouts_leave_a_consistent_database():
    from store.faults import run

    result = run(tries=6, seed=7, log=lambda text: None)
    assert result["killed"] == 6 and result["consistent"] == 6, result["failures"]
    assert result["tries_with_orders"] >= 4 and result["final_problems"] == []
    assert result["still_unpaid"] == 0 and result["charged_twice"] == 0 and result["charged_wrong_amount"] == 0


def test_the_checks_find_each_kind_of_damage(tmp_path):
    """check_database is not a check that cannot fail: each planted defect is reported."""
    from database import open_database
    from store.faults import check_database
    from store.orders import checkout
    from store.stock import StockLedger

    class P:
        id, name, effective_price = "P1", "두부", 2000

    path = tmp_path / "damaged.db"
    db = open_database(path)
    StockLedger(db).receive("P1", 10)
    order = checkout(db, None, [("P1", 2)], {"P1": P()})
    db.conn.close()
    assert check_database(path) == []
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute("INSERT INTO orders (id, customer_id, created_at, status, total, source) "
                 "VALUES ('O-EMPTY', NULL, '2026-11-26T10:00:00', 'created', 0, 'x')")
    conn.execute("INSERT INTO order_items (order_id, product_id, qty, unit_price) VALUES ('O-GONE', 'P1', 1, 1)")
    conn.execute("INSERT INTO stock_events (product_id, kind, qty, ref, created_at) "
                 "VALUES ('P1', 'sale', -1, 'O-NOWHERE', '2026-11-26T10:00:00')")
    conn.execute("UPDATE order_items SET qty = 3 WHERE order_id = ?", (order.id,))
    conn.commit()
    conn.close()
    found = " | ".join(check_database(path))
    for defect in ("order without items", "items without an order", "sale event without its order",
                   "sale events != order items", "stock reconcile", "foreign_key_check"):
        assert defect in found, (defect, found)


# ---- read-only or full disk at checkout -----------------------------------------------------------
def _file_shop(path: Path):
    """ui.testing.small_shop on a database file (tiny catalog, one customer with a PIN)."""
    from assistant.service import Assistant
    from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies
    from database import open_database
    from profiles import ProfileStore
    from store.stock import StockLedger
    from ui.handlers import UIServices
    from ui.testing import scripted_understanding

    products, policies = tiny_catalog(), tiny_policies()
    db = open_database(path)
    profiles, ledger = ProfileStore(db, auto_migrate=False), StockLedger(db)
    ledger.seed_from_catalog(products)
    profiles.add_customer("C001", "김하늘", pin="1234")
    assistant = Assistant(products, policies, KeywordRetriever(products, policies), profiles=profiles, db=db,
                          stock=ledger, understand=scripted_understanding())
    in_stock = next(p.id for p in products if p.stock > 3)
    return UIServices(assistant, profiles), db, in_stock


def _state(db) -> tuple:
    q = lambda sql: db.conn.execute(sql).fetchall()
    return (q("SELECT id FROM orders ORDER BY id"), q("SELECT product_id, qty FROM cart_items ORDER BY product_id"),
            q("SELECT COUNT(*) FROM stock_events"), q("SELECT product_id, qty FROM stock_levels ORDER BY product_id"))


def _refused_then_recovered(services, db, pid, break_it, fix_it, expected_kinds):
    from ui import handlers as h

    sess = h.sign_in(services, None, "C001", "1234").session
    assert "담았어요" in h.add_to_cart(services, sess, pid, 2).info
    before = _state(db)
    break_it()
    view = h.checkout(services, sess)
    messages = {DatabaseUnavailable.MESSAGES[k] for k in expected_kinds}
    assert view.warning in messages and view.checkout_msg == view.warning, view.warning
    assert "장바구니" in view.cart or "jb-cart" in view.cart        # the cart is still shown
    added = h.add_to_cart(services, sess, pid, 1)                    # a cart write: refused the same way
    assert added.warning in messages, added
    quote = list(h.send(services, sess, "결제할게요", []))[-1]         # checkout said in the chat:
    assert "이대로 주문할까요" in quote.history[-1]["content"]           # the quote only reads
    chat = list(h.send(services, sess, "네", quote.history))[-1]       # the order is the write
    assert chat.history[-1]["content"] in messages, chat.history[-1]
    fix_it()
    assert _state(db) == before                                      # nothing lost, nothing half-written
    done = h.checkout(services, sess)
    assert "주문이 완료됐어요" in done.checkout_msg, done.checkout_msg
    oid = done.checkout_msg.split("주문번호 ")[1].split(",")[0]
    items = db.conn.execute("SELECT product_id, qty FROM order_items WHERE order_id = ?", (oid,)).fetchall()
    assert items == [(pid, 2)]
    assert db.conn.execute("SELECT COUNT(*) FROM cart_items").fetchone()[0] == 0


def test_read_only_database_at_checkout_simulated(tmp_path):
    services, db, pid = _file_shop(tmp_path / "ro.db")
    _refused_then_recovered(services, db, pid, lambda: db.execute("PRAGMA query_only=1"),
                            lambda: db.execute("PRAGMA query_only=0"), {"readonly"})


class _DiskFull:
    """A connection whose every write fails the way SQLite fails on a full disk
    (SQLITE_FULL, "database or disk is full"): the fault hook where no tmpfs can be mounted."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def _check(self, sql: str) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = 13
            raise exc

    def execute(self, sql, *args):
        self._check(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql, *args):
        self._check(sql)
        return self._conn.executemany(sql, *args)


def test_full_disk_at_checkout_simulated(tmp_path):
    services, db, pid = _file_shop(tmp_path / "full.db")
    real = db.conn

    def fill():
        db.conn = _DiskFull(real)

    def free():
        db.conn = real

    _refused_then_recovered(services, db, pid, fill, free, {"full"})


@pytest.fixture
def tmpfs(tmp_path):
    """A 4 MiB tmpfs, when the tests run as root and mount works; skipped otherwise."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mount failed: {done.stderr.decode()[:200]}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)


def test_full_disk_at_checkout_for_real(tmpfs):
    services, db, pid = _file_shop(tmpfs / "shop.db")
    filler = tmpfs / "filler"

    def fill():
        # an empty WAL first (it could otherwise reuse frames it already holds), then no byte left
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)

    try:
        _refused_then_recovered(services, db, pid, fill, lambda: filler.unlink(), {"full", "io"})
    finally:
        db.conn.close()


# ---- a generation backend dies mid-stream ---------------------------------------------------------
SSE_SERVER = textwrap.dedent('''
    import json, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = sys.argv[1]
        def log_message(self, *a): pass
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if self.protocol_version == "HTTP/1.1":
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for text in ["바른간식 비건 현미 누룽지칩을 ", "추천해요. 바삭하고 "]:
                line = ("data: " + json.dumps({"choices": [{"delta": {"content": text}}]}) + "\\n\\n").encode()
                if self.protocol_version == "HTTP/1.1":
                    line = b"%x\\r\\n" % len(line) + line + b"\\r\\n"
                self.wfile.write(line)
                self.wfile.flush()
            print("SENT", flush=True)
            time.sleep(120)      # mid-answer: the test kills or waits for us

    srv = HTTPServer(("127.0.0.1", 0), H)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()
''')


def _sse_server(protocol: str):
    proc = subprocess.Popen([sys.executable, "-c", SSE_SERVER, protocol], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/v1"


def _template_reply(message: str) -> str:
    from ui.testing import small_shop

    return small_shop().assistant.answer(message, _fresh_state())["reply"]


def _fresh_state():
    from assistant.types import DialogueState

    return DialogueState()


def _answer_while(generator, on_first_token=None) -> tuple[dict, float, list]:
    from ui.testing import small_shop

    shop = small_shop(generator=generator)
    t0, events, final = time.monotonic(), [], None
    for event in shop.assistant.respond("간식 추천해줘", _fresh_state()):
        events.append(event)
        if event["type"] == "token" and on_first_token is not None:
            on_first_token()
            on_first_token = None
        if event["type"] == "done":
            final = event["answer"]
    return final, time.monotonic() - t0, events


@pytest.mark.parametrize("protocol", ["HTTP/1.0", "HTTP/1.1"])
def test_endpoint_killed_mid_stream_falls_back_to_the_template(protocol):
    import threading

    from assistant.generators.openai_compat import OpenAICompatGenerator

    timeout_s = 20.0
    proc, url = _sse_server(protocol)
    try:
        def killer():
            proc.stdout.readline()          # "SENT": two deltas are on the wire, the answer is unfinished
            time.sleep(0.3)
            proc.send_signal(signal.SIGKILL)

        threading.Thread(target=killer, daemon=True).start()
        gen = OpenAICompatGenerator(url, model="m", timeout_s=timeout_s)
        final, elapsed, _ = _answer_while(gen)
    finally:
        proc.kill()
        proc.wait()
    assert final["validation"] == "fallback" and final.get("notice"), final
    assert final["reply"] == _template_reply("간식 추천해줘")
    assert elapsed < timeout_s, elapsed                 # well within the timeout: the kill is noticed at once


def test_endpoint_stalled_mid_stream_falls_back_within_the_timeout():
    from assistant.generators.openai_compat import OpenAICompatGenerator

    proc, url = _sse_server("HTTP/1.1")
    try:
        gen = OpenAICompatGenerator(url, model="m", timeout_s=2.0)
        final, elapsed, _ = _answer_while(gen)
    finally:
        proc.kill()
        proc.wait()
    assert final["validation"] == "fallback" and final.get("notice")
    assert final["reply"] == _template_reply("간식 추천해줘")
    assert 1.5 < elapsed < 2.0 + 5.0, elapsed


def test_a_generator_raising_mid_stream_falls_back_to_the_template():
    class Dies:
        name = "dies"

        def stream(self, messages, max_new_tokens=160, stop=None):
            yield "바른간식 비건 현미 누룽지칩을 "
            raise ConnectionResetError("backend process killed")

    final, _, events = _answer_while(Dies())
    assert final["validation"] == "fallback" and final.get("notice"), final
    assert final["reply"] == _template_reply("간식 추천해줘")
    assert any(e["type"] == "status" for e in events)
