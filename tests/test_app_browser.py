"""The app as a person uses it: Playwright for Python driving Debian's chromium.

Starts `app.py` in a subprocess (template-only answers so the run is fast and exact) on a
free localhost port with a temporary seeded database, then drives real pages. Screenshots
go to `var/screenshots/` (git-ignored); the README shows curated copies from `docs/screenshots/`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=ko-KR"]
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "var" / "screenshots"  # curated copies for the README live in docs/screenshots


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 420) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def _start_app(tmp: Path, mode: str, extra_env: dict | None = None):
    db = tmp / f"{mode}.db"
    env = {**os.environ, "JANGBOGI_DB": str(db), "JANGBOGI_NO_LLM": "1", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", **(extra_env or {})}
    subprocess.run([sys.executable, "-m", "profiles", "--db", str(db), "seed"], cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=300)
    port = _free_port()
    log = open(tmp / f"{mode}.log", "w")
    proc = subprocess.Popen([sys.executable, "app.py", "--mode", mode, "--port", str(port)], cwd=REPO,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc)
    except Exception:
        proc.kill()
        raise RuntimeError((tmp / f"{mode}.log").read_text()[-3000:]) from None
    return proc, url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (scripts/setup.sh test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    proc, url = _start_app(tmp_path_factory.mktemp("browser"), "browser")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def kiosk_url(tmp_path_factory):
    proc, url = _start_app(tmp_path_factory.mktemp("kiosk"), "kiosk",
                           {"JANGBOGI_KIOSK_IDLE": "6", "JANGBOGI_STAFF_PIN": "2580"})
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _send(page, text: str) -> None:
    box = page.locator("#jb-input textarea")
    box.fill(text)
    box.press("Enter")


def _last_bot_text(page) -> str:
    bots = page.locator("#jb-chat .message.bot, #jb-chat [data-testid='bot']")
    return bots.last.inner_text() if bots.count() else ""


def _wait_reply(page, needle: str | None = None, timeout: float = 90_000) -> str:
    page.wait_for_function(
        """(needle) => { const el = document.querySelector('#jb-chat');
             if (!el) return false; const t = el.innerText || '';
             return needle ? t.includes(needle) : /원|\\]/.test(t); }""",
        arg=needle, timeout=timeout)
    return page.locator("#jb-chat").inner_text()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_search_add_to_cart_and_checkout(browser, app_url):
    page = browser.new_page(viewport={"width": 1360, "height": 960}, locale="ko-KR")
    page.goto(app_url)
    _send(page, "비건 간식 만원 이하로 3개 추천해줘")
    page.locator(".jb-card").first.wait_for(timeout=120_000)
    chat = _wait_reply(page)
    assert "비건 간식 만원 이하로 3개 추천해줘" in chat
    cards = page.locator(".jb-card")
    assert 1 <= cards.count() <= 3
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        assert "비건" in text  # the dietary tag is on every recommended card
    _shot(page, "browser-chat.png")

    page.locator("button.jb-add").first.click()
    page.get_by_role("tab", name="장바구니").click()
    page.locator("#jb-cart table").wait_for(timeout=30_000)
    assert "합계" in page.locator("#jb-cart").inner_text()
    page.locator("#jb-checkout").click()
    page.wait_for_function("() => (document.querySelector('#jb-checkout-msg')?.innerText || '').includes('주문')",
                           timeout=30_000)
    assert "주문" in page.locator("#jb-checkout-msg").inner_text()
    _shot(page, "browser-checkout.png")
    page.close()


def test_policy_question_cites_a_passage(browser, app_url):
    page = browser.new_page(locale="ko-KR")
    page.goto(app_url)
    _send(page, "개봉한 것도 반품돼요?")
    chat = _wait_reply(page, needle="[반품")
    assert "[반품" in chat or "[교환" in chat
    page.close()


def test_two_sessions_are_isolated(browser, app_url):
    a = browser.new_context(locale="ko-KR").new_page()
    b = browser.new_context(locale="ko-KR").new_page()
    a.goto(app_url)
    b.goto(app_url)
    _send(a, "우유 추천해줘")
    _wait_reply(a)
    _send(b, "새벽배송 마감 시간이 언제예요?")
    _wait_reply(b, needle="[배송")
    chat_a, chat_b = a.locator("#jb-chat").inner_text(), b.locator("#jb-chat").inner_text()
    assert "새벽배송" not in chat_a and "우유 추천해줘" not in chat_b
    a.locator("button.jb-add").first.click()
    a.get_by_role("tab", name="장바구니").click()
    a.locator("#jb-cart table").wait_for(timeout=30_000)
    b.get_by_role("tab", name="장바구니").click()
    assert "비어 있어요" in b.locator("#jb-cart").inner_text()
    a.context.close()
    b.context.close()


def test_kiosk_idle_reset_and_staff_view(browser, kiosk_url):
    page = browser.new_page(viewport={"width": 1280, "height": 1024}, locale="ko-KR")
    page.goto(kiosk_url)
    page.get_by_role("button", name="반품 규정 알려줘").click()
    _wait_reply(page, needle="반품")
    _shot(page, "kiosk.png")
    # idle timeout is 6 s in this fixture; the timer ticks every 5 s
    page.wait_for_function("() => !(document.querySelector('#jb-chat')?.innerText || '').includes('반품 규정')",
                           timeout=40_000)
    page.get_by_role("tab", name="직원").click()
    page.locator("#jb-staff-pin input").fill("2580")
    page.locator("#jb-staff-open").click()
    page.locator("#jb-staff-plot img").first.wait_for(timeout=90_000)
    assert "품절 임박" in page.locator("body").inner_text()
    assert page.locator("text=권장발주량").count() >= 1  # the reorder table header
    _shot(page, "staff.png")
    page.close()


def test_api_ask_returns_products_meeting_the_request(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict(message="땅콩 알레르기 있는 아이 간식 만원 이하로 추천해줘", customer_id="",
                            api_name="/ask")
    assert "error" not in result, result
    assert result["products"], result
    for p in result["products"]:
        assert "땅콩" not in p["allergens"]
        assert (p["sale_price"] or p["price"]) <= 10000
        assert p["stock"] > 0


# ---- sign-in, IDOR and brute force (issue 19); the brute-force test locks 127.0.0.1, so it runs last ----
def _customer_pins() -> dict[str, str]:
    rows = (REPO / "data" / "customers" / "customers.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["id"]: r["pin"] for r in map(json.loads, filter(None, rows))}


def _order_ids(customer_id: str) -> set[str]:
    rows = (REPO / "data" / "customers" / "orders.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["order_id"] for r in map(json.loads, filter(None, rows)) if r["customer_id"] == customer_id}


def test_api_ignores_a_bare_customer_id_and_refuses_forged_tokens(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    b_orders = _order_ids("C002")
    out = client.predict(message="내 주문 어디쯤 왔어요?", customer_id="C002", api_name="/ask")
    assert out["signed_in"] is False and not [o for o in b_orders if o in json.dumps(out)], out
    a = client.predict(customer_id="C001", pin=_customer_pins()["C001"], api_name="/sign_in")
    assert a.get("token"), a
    mine = client.predict(message="내 주문 어디쯤 왔어요?", token=a["token"], customer_id="", api_name="/ask")
    assert mine["signed_in"] and not [o for o in b_orders if o in json.dumps(mine)], mine
    for token, cid in ((a["token"], "C002"), (a["token"][:-4] + "AAAA", ""), ("v1.e30.x", "C002")):
        out = client.predict(message="내 주문 어디쯤 왔어요?", token=token, customer_id=cid, api_name="/ask")
        assert out.get("error") and not [o for o in b_orders if o in json.dumps(out)], out


def _sign_in(page, customer_id: str, pin: str) -> None:
    page.locator("#jb-customer input").fill(customer_id)
    page.locator("#jb-customer input").press("Tab")     # commit the typed (custom) dropdown value
    page.locator("#jb-pin input").fill(pin)
    page.locator("#jb-login").click()


def test_browser_sign_in_needs_the_pin_and_locks_after_five_failures(browser, app_url):
    page = browser.new_page(locale="ko-KR")
    page.goto(app_url)
    page.get_by_role("tab", name="내 정보").click()
    _sign_in(page, "C002", "")
    page.get_by_text("PIN을 입력해 주세요").first.wait_for(timeout=30_000)
    for pin in ("0000", "0001", "0002", "0003", "0004"):
        _sign_in(page, "C002", pin)
        time.sleep(0.5)
    page.get_by_text("잠겼어요").first.wait_for(timeout=30_000)
    _sign_in(page, "C002", _customer_pins()["C002"])   # the right PIN, now locked out
    time.sleep(3)
    assert "로그인하지 않았어요" in page.locator("#jb-profile").inner_text()
    _shot(page, "sign-in-locked.png")
    page.close()
    from gradio_client import Client

    out = Client(app_url, verbose=False).predict(customer_id="C002", pin=_customer_pins()["C002"],
                                                 api_name="/sign_in")
    assert "token" not in out and "잠겼어요" in out["error"], out


@pytest.fixture(scope="module")
def fixed_clock_url(tmp_path_factory):
    """The app on a fixed clock (JANGBOGI_NOW, Thursday evening) so a new 새벽 order can be cancelled."""
    proc, url = _start_app(tmp_path_factory.mktemp("orders"), "browser",
                           {"JANGBOGI_NOW": "2026-11-26T20:00:00+09:00"})
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_signed_in_customer_cancels_a_pending_order_after_confirming(browser, fixed_clock_url):
    page = browser.new_page(viewport={"width": 1360, "height": 1400}, locale="ko-KR")
    page.goto(fixed_clock_url)
    page.get_by_role("tab", name="내 정보").click()
    _sign_in(page, "C001", _customer_pins()["C001"])
    page.wait_for_function("() => (document.querySelector('#jb-profile')?.innerText || '').includes('C001')",
                           timeout=30_000)
    _send(page, "비건 간식 만원 이하로 3개 추천해줘")
    page.get_by_role("tab", name="추천 상품").click()
    page.locator("button.jb-add").first.wait_for(timeout=120_000)
    page.locator("button.jb-add").first.click()
    page.get_by_role("tab", name="장바구니").click()
    page.locator("#jb-cart table").wait_for(timeout=30_000)
    page.locator("#jb-checkout").click()                         # the quote first ...
    page.locator("#jb-checkout-yes").wait_for(state="visible", timeout=30_000)
    assert "결제 금액" in page.locator("#jb-checkout-msg").inner_text()
    page.locator("#jb-checkout-yes").click()                     # ... then the order
    page.wait_for_function("() => (document.querySelector('#jb-checkout-msg')?.innerText || '')"
                           ".includes('주문이 완료됐어요')", timeout=30_000)
    order_id = next(w for w in page.locator("#jb-checkout-msg").inner_text().replace(",", " ").split()
                    if w.startswith("O2026"))

    page.get_by_role("tab", name="내 정보").click()
    page.locator("#jb-orders-refresh").click()
    page.wait_for_function("(id) => (document.querySelector('#jb-orders')?.innerText || '').includes(id)",
                           arg=order_id, timeout=30_000)
    page.locator("#jb-order-pick input").click()
    page.get_by_role("option", name=order_id).first.click()
    page.locator("#jb-action-pick").get_by_text("취소", exact=True).click()
    page.locator("#jb-order-request").click()
    page.locator("#jb-order-yes").wait_for(state="visible", timeout=30_000)
    assert "취소할까요" in page.locator("#jb-order-prompt").inner_text()
    state = page.locator(f"[data-order-id='{order_id}'] .jb-order-state")
    assert state.inner_text() == "결제 완료"                      # nothing changed before "네"
    _shot(page, "orders-confirm-cancel.png")
    page.locator("#jb-order-yes").click()
    page.wait_for_function("(id) => (document.querySelector(`[data-order-id='${id}'] .jb-order-state`)"
                           "?.innerText || '') === '주문 취소'", arg=order_id, timeout=30_000)
    assert "취소했어요" in page.locator("#jb-order-prompt").inner_text()
    _shot(page, "orders-cancelled.png")
    page.close()
