"""A database locked by another writer: a short lock is waited out (busy timeout) and the cart
add / checkout succeeds; a lock outlasting the timeout ends the turn with a Korean error, the
cart kept, and no "database is locked" traceback."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from test_robustness_support import INJECTED_ID, is_korean, shared_root, shared_services

from assistant.cli import main


class WriteLock:
    """Hold `BEGIN EXCLUSIVE` on `path` from a separate connection for `seconds`."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path, self.seconds = path, seconds
        self.taken = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=5)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            self.taken.set()
            time.sleep(self.seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def __enter__(self) -> "WriteLock":
        self.thread.start()
        assert self.taken.wait(5), "could not take the write lock"
        return self

    def __exit__(self, *exc) -> None:
        self.thread.join(10)


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    return shared_services(tmp_path_factory)


def _ask(services, message: str, session: str, db: Path, capsys, *extra: str) -> tuple[int, dict]:
    rc = main(["ask", message, "--json", "--session", session, "--db-path", str(db), *extra], services=services)
    return rc, json.loads(capsys.readouterr().out)


def _fill_cart(services, session: str, db: Path, capsys) -> None:
    rc, found = _ask(services, "수상한농장 꿀사과 2kg 찾아줘", session, db, capsys)
    assert rc == 0 and found["products"][0]["id"] == INJECTED_ID, found
    rc, added = _ask(services, "첫 번째 거 1개 담아줘", session, db, capsys)
    assert rc == 0 and added["intent"] == "cart_add" and added["actions"][0]["ok"], added


def test_checkout_waits_out_a_short_lock(services, tmp_path_factory, capsys):
    db = shared_root(tmp_path_factory) / "var" / "jangbogi.db"
    _fill_cart(services, "lock-short", db, capsys)
    before = services.stock.level(INJECTED_ID)
    rc, quote = _ask(services, "주문할게요", "lock-short", db, capsys)   # amount first, then "네"
    assert rc == 0 and quote["actions"][0]["pending"], quote
    t0 = time.monotonic()
    with WriteLock(db, 2.0):
        rc, done = _ask(services, "네", "lock-short", db, capsys)
    waited = time.monotonic() - t0
    assert rc == 0 and done["intent"] == "checkout" and done["actions"][0]["ok"], done
    assert "주문번호" in done["reply"] and waited >= 1.5
    assert services.stock.level(INJECTED_ID) == before - 1


def test_signed_in_cart_add_waits_out_a_short_lock(services, tmp_path_factory, capsys):
    db = shared_root(tmp_path_factory) / "var" / "jangbogi.db"
    profiles = services.profiles
    profiles.add_customer("C901", "잠금시험", pin="1234")
    rc, _ = _ask(services, "수상한농장 꿀사과 2kg 찾아줘", "lock-member", db, capsys, "--customer", "C901")
    assert rc == 0
    with WriteLock(db, 2.0):
        rc, added = _ask(services, "첫 번째 거 2개 담아줘", "lock-member", db, capsys, "--customer", "C901")
    assert rc == 0 and added["actions"][0]["ok"], added
    assert [(i.product_id, i.qty) for i in profiles.cart("C901")] == [(INJECTED_ID, 2)]


def test_lock_longer_than_the_timeout_is_a_korean_error_and_keeps_the_cart(services, tmp_path_factory,
                                                                            tmp_path, capsys):
    from assistant.factory import Services, StockView
    from assistant.service import Assistant
    from profiles import connect
    from store import StockLedger

    db_path = shared_root(tmp_path_factory) / "var" / "jangbogi.db"
    impatient = connect(db_path, busy_timeout_ms=200)
    a = Assistant(services.catalog, services.policies, services.retriever, db=impatient,
                  stock=StockView(StockLedger(impatient)), lexicon=services.assistant.lexicon)
    quick = Services(None, a, services.catalog, services.policies, services.retriever, db=impatient)
    _fill_cart(quick, "lock-long", db_path, capsys)
    rc, quote = _ask(quick, "주문할게요", "lock-long", db_path, capsys)
    assert rc == 0 and quote["actions"][0]["pending"], quote
    with WriteLock(db_path, 2.5):
        rc, failed = _ask(quick, "네", "lock-long", db_path, capsys)
    err = capsys.readouterr().err
    assert rc == 1 and set(failed) == {"id", "error"} and is_korean(failed["error"]), failed
    assert "Traceback" not in err and "database is locked" not in err
    assert "잠시 후" in failed["error"] and "장바구니" in failed["error"]
    saved = json.loads((db_path.parent / "sessions" / "lock-long.json").read_text(encoding="utf-8"))
    assert saved["cart"] == {INJECTED_ID: 1}   # nothing lost: the order can be placed again
    _ask(quick, "주문할게요", "lock-long", db_path, capsys)
    rc, done = _ask(quick, "네", "lock-long", db_path, capsys)
    assert rc == 0 and done["actions"][0]["ok"], done
    impatient.close()
