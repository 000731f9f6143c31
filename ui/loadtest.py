"""Load bench: N concurrent shoppers against the real app, through `gradio_client`.

    python -m ui.loadtest --sessions 20 --turns 6 --json [--no-llm] [-- APP ARGS...]

Starts `app.py --mode browser` on a free 127.0.0.1 port with a temporary copy of the
database (SQLite backup API) and of the var files the app reads (cross-sell table, sales
history, forecasts; the retrieval index is shared read-only), then drives one
`gradio_client.Client` per shopper, each in its own thread. A Client is its own Gradio
session (its own `gr.State`), so every shopper is a separate browser tab as far as the app
knows. Each shopper is a distinct demo customer (ids and PINs from the seed file
`data/customers/customers.jsonl`, checked against the copied database; test customers
with random PINs are created in the copy when there are more shoppers than demo customers,
or when a demo PIN does not verify) and goes through, with `--turns 6`:

    1. sign in (`/ui_sign_in`: id + PIN)
    2. "<allergen> 알레르기가 있어요. <food> 추천해줘"   (a search with a stated allergen)
    3. "<other food> 추천해줘"                            (the allergen must stick)
    4. add the first product shown to the cart (`/ui_add_to_cart`, the card button)
    5. "장바구니 보여줘"
    6. checkout (`/ui_checkout`)

Fewer turns drop 5 and 3 (then checkout, add); more turns add searches before the cart.
Each shopper has its own allergen (19 allergens; shoppers 20+ reuse them in order).

Printed (one JSON object with `--json`):
- `sessions`, `turns`; `errors`: turns that raised, timed out or answered with an error;
- `p50_ms`, `p95_ms`, `max_ms`: wall time per turn as the client sees it (submit to final
  output, queue included); `max_queue_ms`: the longest time a turn waited in the server
  queue (client side: from submit until the server said `process_starts`, polled every
  20 ms, so ±50 ms); `sign_in_p95_ms` separately (PBKDF2 is slow on purpose);
- `leaks`: a product shown to a shopper that contains the shopper's stated allergen or an
  allergen of their profile; a cart line (or signed-in customer) of another shopper seen by
  a shopper; an order id of another shopper in their checkout;
- `cpu`: CPU seconds of the app process and of this bench (its client threads) during the
  drive, and per turn (`app_ms_per_turn`, `client_ms_per_turn`; Linux `/proc`): what the turns
  cost, much less sensitive to other jobs on the machine than latency;
- `lost_writes`: for every shopper, the database after the run against what the shopper
  did: exactly the order the checkout reported (no missing, no extra order), its items =
  what was added, one sale event per item, the cart empty after checkout (or = the lines
  added, when the shopper did not check out), plus any stock reconcile mismatch.

The source database is never written (the copy lives in a temporary folder, removed unless
`--keep`). Exit status 0 when errors, leaks and lost writes are all 0, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from assistant.settings import REPO_ROOT, Settings

# allergen -> two searches whose unfiltered results contain products with that allergen
# (picked from the catalog's categories), so the exclusion is really exercised.
SHOPPING = [
    ("땅콩", "견과류", "시리얼"), ("우유", "과자", "두유"), ("밀", "쿠키", "라면"),
    ("대두", "라면", "만두"), ("새우", "김치", "만두"), ("알류", "쿠키", "빵"),
    ("돼지고기", "만두", "볶음밥"), ("닭고기", "닭가슴살", "너겟"), ("쇠고기", "즉석국", "라면"),
    ("토마토", "파스타", "주스"), ("조개류", "해산물", "찌개"), ("호두", "견과류", "그래놀라"),
    ("고등어", "생선", "통조림"), ("게", "해산물", "냉동식품"), ("메밀", "국수", "잡곡"),
    ("복숭아", "통조림", "주스"), ("오징어", "라면", "해산물"), ("아황산류", "말린 과일", "간식"),
    ("잣", "견과류", "죽"),
]
EXTRA_FOODS = ["간식", "음료", "반찬", "과일", "채소", "밀키트"]
VAR_FILES = ("crosssell.json", "forecast", "history")      # what the app reads from var/
TURN_TIMEOUT_S = 600.0       # --turn-timeout-s
# product citations in the sources panel: chips carry the id in `data-product-id` (the older
# "<b>[P0001]</b> 상품" form is still read)
SOURCE_ID = re.compile(r'data-product-id="([A-Z]\d+)"|<b>\[([A-Z]\d+)\]</b> 상품')
ORDER_ID = re.compile(r"주문번호 (O[\w-]+)")


# ---- the temporary copy ----------------------------------------------------------------------
def copy_database(src: Path, dst: Path) -> None:
    """A consistent copy of a live WAL database (SQLite online backup), source opened read-only."""
    if not Path(src).exists():
        raise SystemExit(f"error: database {src} not found; run the setup first (make setup / "
                         "python -m profiles seed)")
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def copy_var(var_dir: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in VAR_FILES:
        src = Path(var_dir) / name
        if src.is_dir():
            shutil.copytree(src, dst / name)
        elif src.is_file():
            shutil.copy2(src, dst / name)


def demo_pins(data_dir: Path) -> list[tuple[str, str]]:
    """(customer id, PIN) of the demo customers the setup seeds (`customers.jsonl`)."""
    path = Path(data_dir) / "customers" / "customers.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["id"], str(r["pin"])) for r in rows if r.get("pin")]


def prepare_customers(db_path: Path, data_dir: Path, n: int, seed: int = 19) -> list[tuple[str, str]]:
    """n distinct (customer id, PIN) that verify in the copied database, carts emptied.

    Demo customers first; test customers `L001`... with random PINs for the rest."""
    from database import open_database
    from profiles import ProfileStore

    db = open_database(db_path)
    profiles = ProfileStore(db, auto_migrate=False)
    chosen: list[tuple[str, str]] = []
    for cid, pin in demo_pins(data_dir):
        if len(chosen) == n:
            break
        with contextlib.suppress(Exception):  # an unknown or broken demo row: a test customer instead
            if profiles.verify_pin(cid, pin):
                chosen.append((cid, pin))
    rng = random.Random(seed)
    i = 0
    while len(chosen) < n:
        i += 1
        cid = f"L{i:03d}"
        if _exists(db, cid):
            continue
        pin = f"{rng.randrange(10**6):06d}"
        profiles.add_customer(cid, f"부하테스트{i}", pin=pin)
        profiles.set_consent(cid, personalization=True, history=True)
        chosen.append((cid, pin))
    db.conn.executemany("DELETE FROM cart_items WHERE customer_id = ?", [(c,) for c, _ in chosen])
    db.conn.commit()
    db.conn.close()
    return chosen


def _exists(db, cid: str) -> bool:
    return db.conn.execute("SELECT 1 FROM customers WHERE id = ?", (cid,)).fetchone() is not None


# ---- the app ------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(tmp: Path, db: Path, settings: Settings, no_llm: bool, app_args: list[str],
              timeout_s: float = 900) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {**os.environ, "JANGBOGI_DB": str(db), "JANGBOGI_VAR": str(tmp / "var"),
           "JANGBOGI_INDEX_DIR": str(settings.index_dir), "JANGBOGI_DATA_DIR": str(settings.data_dir),
           "JANGBOGI_HOST": "127.0.0.1", "JANGBOGI_DEMO": "off", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
           "ANONYMIZED_TELEMETRY": "False", "JANGBOGI_STAFF_PIN": "loadtest-unused"}
    if no_llm:
        env["JANGBOGI_NO_LLM"] = "1"
    log_path = tmp / "app.log"
    cmd = [sys.executable, str(REPO_ROOT / "app.py"), "--mode", "browser", "--port", str(port)] + app_args
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, url, log_path
        except OSError:
            time.sleep(1)
    proc.kill()
    raise TimeoutError(f"app did not answer within {timeout_s}s:\n{log_path.read_text()[-3000:]}")


# ---- one shopper ----------------------------------------------------------------------------------
@dataclass
class Turn:
    kind: str
    ms: float = 0.0
    queue_ms: float = 0.0
    error: str = ""
    note: str = ""           # what a search showed when it showed no product
    fallback: bool = False   # the status line said the template answer replaced the model's


@dataclass
class Shopper:
    index: int
    customer_id: str
    pin: str
    allergen: str
    foods: tuple[str, ...]
    plan: list[str]
    turns: list[Turn] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)      # product ids shown, in order
    added: dict[str, int] = field(default_factory=dict)
    order_id: str | None = None
    leaks: list[str] = field(default_factory=list)
    profile_allergens: tuple[str, ...] = ()


def plan_for(turns: int, n_foods: int = 2) -> list[str]:
    """Turn kinds for `turns` turns (see the module doc).

    >>> plan_for(6)
    ['sign_in', 'search', 'search', 'add', 'cart', 'checkout']
    >>> plan_for(2), plan_for(4)
    (['sign_in', 'search'], ['sign_in', 'search', 'add', 'checkout'])
    >>> plan_for(5), plan_for(8)
    (['sign_in', 'search', 'search', 'add', 'checkout'], ['sign_in', 'search', 'search', 'search', 'search', 'add', 'cart', 'checkout'])
    """
    if turns < 1:
        raise ValueError("turns must be >= 1")
    core = ["sign_in", "search", "add", "checkout"]
    if turns <= 4:
        return core[:turns] if turns < 4 else core
    extra = turns - 4               # 5: a second search; 6: and the cart view; 7+: more searches
    searches = 2 + max(0, extra - 2)
    return ["sign_in"] + ["search"] * searches + ["add"] + (["cart"] if extra >= 2 else []) + ["checkout"]


def _timed(client, kind: str, turn: Turn, *args):
    """Submit one call, poll its status for the queue wait, return its result."""
    from gradio_client.utils import Status

    t0 = time.perf_counter()
    job = client.submit(*args, api_name=f"/{kind}")   # undocumented endpoints: positional only
    started = None
    while not job.done():
        if started is None:
            code = job.status().code
            if code in (Status.PROCESSING, Status.ITERATING, Status.FINISHED):
                started = time.perf_counter()
        time.sleep(0.02)
        if time.perf_counter() - t0 > TURN_TIMEOUT_S:
            job.cancel()
            raise TimeoutError(f"{kind} took more than {TURN_TIMEOUT_S:.0f}s")
    result = job.result()
    t1 = time.perf_counter()
    turn.ms = (t1 - t0) * 1000
    turn.queue_ms = ((started or t1) - t0) * 1000
    return result


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _last_reply(history) -> str:
    if isinstance(history, list) and history:
        last = history[-1]
        content = last.get("content") if isinstance(last, dict) else last
        return _text(content)
    return ""


class Session:
    """One shopper's turns over one `gradio_client.Client` (one Gradio session)."""

    def __init__(self, client, shopper: Shopper, catalog: dict, names: dict[str, set[str]],
                 others: dict[str, dict]) -> None:
        self.client, self.s, self.catalog, self.names, self.others = client, shopper, catalog, names, others
        self.history: list = []
        self.foods = iter(shopper.foods)
        self.forbidden = {shopper.allergen} | set(shopper.profile_allergens)

    def sign_in(self, turn: Turn) -> None:
        out = _timed(self.client, "ui_sign_in", turn, self.s.customer_id, self.s.pin)
        profile = _text(out[0]) if isinstance(out, (list, tuple)) else _text(out)
        if f"({self.s.customer_id})" not in profile:
            turn.error = f"sign-in did not show the customer: {profile[:120]}"
        for other in self.others:
            if other != self.s.customer_id and f"({other})" in profile:
                self.s.leaks.append(f"signed in as {other}")

    def _message(self, kind: str) -> str:
        if kind == "cart":
            return "장바구니 보여줘"
        if not self.s.shown and not self.history:
            return f"{self.s.allergen} 알레르기가 있어요. {next(self.foods)} 추천해줘"
        return f"{next(self.foods, EXTRA_FOODS[len(self.history) % len(EXTRA_FOODS)])} 추천해줘"

    def chat(self, turn: Turn) -> None:
        message = self._message(turn.kind)
        # outputs after these five (plan card, floor plan, bought-together panels) are not checked here
        self.history, _box, sources, cart, status, *_panels = _timed(self.client, "ui_send", turn, message,
                                                                     self.history)
        reply = _last_reply(self.history)
        if "기본 답변" in _text(status) or "다시 확인해 정리" in _text(status):
            turn.fallback = True     # the model's answer was replaced by the template
        if not reply.strip() or "요청이 많아" in reply or "오류" in reply:
            turn.error = f"reply: {reply[:160]!r}"
        ids = [a or b for a, b in SOURCE_ID.findall(_text(sources))] + re.findall(r"\[([A-Z]\d{4})\]", reply)
        if turn.kind == "search" and not ids:
            turn.note = f"{message!r} -> {reply[:160]!r}"
        for pid in dict.fromkeys(ids):
            product = self.catalog.get(pid)
            if product is None:
                continue
            if turn.kind == "search":
                self.s.shown.append(pid)
            bad = self.forbidden & set(product.allergens)
            if bad:
                self.s.leaks.append(f"{pid} contains {sorted(bad)} after {message!r}")
        _check_cart(self.s, _text(cart), self.names, self.others)

    def add(self, turn: Turn) -> None:
        pid = next((p for p in self.s.shown if p not in self.s.added), None)
        if pid is None:   # every search was (rightly) empty for this profile: a plain product
            pid = next(p.id for p in self.catalog.values() if not p.allergens and p.stock >= 50)
            turn.note = f"nothing shown; added {pid} (no allergens) instead"
        cart = _text(_timed(self.client, "ui_add_to_cart", turn, pid))
        if self.catalog[pid].name not in cart_lines(cart):
            turn.error = f"{pid} not in the cart after adding: {cart[:160]}"
        else:
            self.s.added[pid] = self.s.added.get(pid, 0) + 1
        _check_cart(self.s, cart, self.names, self.others)

    def checkout(self, turn: Turn) -> None:
        out = _timed(self.client, "ui_checkout", turn)
        msg = _text(out[1]) if isinstance(out, (list, tuple)) else _text(out)
        found = ORDER_ID.search(msg)
        if not self.s.added:
            return   # nothing to buy: the refusal is the right answer
        if not found or "주문이 완료" not in msg:
            turn.error = f"checkout: {msg[:160]!r}"
        else:
            self.s.order_id = found.group(1)

    def turn(self, kind: str) -> Turn:
        turn = Turn(kind)
        self.s.turns.append(turn)
        step = {"sign_in": self.sign_in, "search": self.chat, "cart": self.chat,
                "add": self.add, "checkout": self.checkout}[kind]
        try:
            step(turn)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, the run goes on
            turn.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        return turn


_SSL: list = []
_SSL_LOCK = threading.Lock()


def shared_ssl_context():
    """One default (verifying) SSL context for every client request.

    gradio_client calls `httpx.post(..., verify=True)` per request, and httpx then builds a
    new context and loads the whole CA bundle each time: tens of milliseconds of CPU per
    request, which the bench's 20 client threads took from the app on the same 2 cores
    (docs/benchmarks/load.md). Passing a ready context keeps verification on and costs
    nothing per request; against http://127.0.0.1 it is never used anyway."""
    with _SSL_LOCK:
        if not _SSL:
            import ssl

            import certifi

            _SSL.append(ssl.create_default_context(cafile=certifi.where()))
        return _SSL[0]


def run_shopper(url: str, shopper: Shopper, catalog: dict, names: dict[str, set[str]],
                others: dict[str, dict], barrier: threading.Barrier, think_ms: float = 0.0) -> None:
    """Drive one session; records turns, leaks, the order id. Never raises."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False, download_files=False, analytics_enabled=False,
                        ssl_verify=shared_ssl_context())
    except Exception as exc:  # noqa: BLE001
        shopper.turns.append(Turn("connect", error=f"{type(exc).__name__}: {exc}"))
        barrier.abort()
        return
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=600)
    session = Session(client, shopper, catalog, names, others)
    rng = random.Random(shopper.index)
    if think_ms:           # with think time, shoppers also arrive spread over one think time
        time.sleep(think_ms * rng.uniform(0.0, 1.0) / 1000)
    for i, kind in enumerate(shopper.plan):
        if think_ms and i:     # a person reads the answer before the next turn: 0.5x to 1.5x think_ms
            time.sleep(think_ms * rng.uniform(0.5, 1.5) / 1000)
        turn = session.turn(kind)
        if turn.error and kind == "sign_in":
            break          # the rest would run signed out
    with contextlib.suppress(Exception):
        client.close()


CART_LINE = re.compile(r'<tr><td>(.*?)</td><td class="jb-num">(\d+)</td>')


def cart_lines(cart_html: str) -> dict[str, int]:
    """{product name: qty} of a rendered cart.

    >>> cart_lines('<tr><td>A &amp; B</td><td class="jb-num">2</td><td class="jb-num">1원</td></tr>')
    {'A & B': 2}
    """
    return {html.unescape(name): int(qty) for name, qty in CART_LINE.findall(cart_html or "")}


def _check_cart(shopper: Shopper, cart_html: str, names: dict[str, set[str]], others: dict[str, dict]) -> None:
    """A cart line this shopper never added is a leak (named when another shopper added it)."""
    for name in cart_lines(cart_html):
        pids = names.get(name, set())
        if pids & set(shopper.added):
            continue
        whose = [cid for cid, added in others.items() if cid != shopper.customer_id and pids & set(added)]
        shopper.leaks.append(f"cart shows {name!r}" + (f", added by {whose}" if whose else ", never added"))


# ---- what the database says ----------------------------------------------------------------
def audit(db_path: Path, shoppers: list[Shopper], orders_before: set[str]) -> list[str]:
    """Every disagreement between the database and what the shoppers did (lost writes)."""
    from database import connect
    from store.stock import StockLedger

    db = connect(db_path)
    conn = db.conn
    problems: list[str] = []
    try:
        for s in shoppers:
            new = {r[0] for r in conn.execute("SELECT id FROM orders WHERE customer_id = ?", (s.customer_id,))
                   } - orders_before
            want = {s.order_id} if s.order_id else set()
            for oid in sorted(want - new):
                problems.append(f"{s.customer_id}: order {oid} reported but not in the database")
            for oid in sorted(new - want):
                problems.append(f"{s.customer_id}: order {oid} in the database but not reported")
            cart = dict(conn.execute("SELECT product_id, qty FROM cart_items WHERE customer_id = ?",
                                     (s.customer_id,)).fetchall())
            if s.order_id:
                items = dict(conn.execute("SELECT product_id, qty FROM order_items WHERE order_id = ?",
                                          (s.order_id,)).fetchall())
                if items != s.added:
                    problems.append(f"{s.customer_id}: order items {items} != added {s.added}")
                sales = dict(conn.execute("SELECT product_id, -SUM(qty) FROM stock_events WHERE ref = ? "
                                          "AND kind = 'sale' GROUP BY product_id", (s.order_id,)).fetchall())
                if sales != s.added:
                    problems.append(f"{s.customer_id}: sale events {sales} != added {s.added}")
                if cart:
                    problems.append(f"{s.customer_id}: cart not empty after checkout: {cart}")
            elif cart != s.added:
                problems.append(f"{s.customer_id}: cart {cart} != added {s.added}")
        report = StockLedger(db).reconcile()
        if not report.ok:
            problems.append(f"stock reconcile: {report.mismatches[:5]} {report.negatives[:5]}")
    finally:
        conn.close()
    return problems


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU seconds (user + system) used so far by process `pid` (Linux /proc), or by this
    process when `pid` is None; None when it cannot be read."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_figures(app: tuple, client: tuple, turns: int) -> dict:
    """CPU used during the drive by the app and by this bench (its client threads), in
    seconds and per turn: less sensitive to other jobs on the machine than latency."""
    out: dict = {}
    for name, (before, after) in (("app", app), ("client", client)):
        if before is not None and after is not None:
            out[f"{name}_s"] = round(after - before, 2)
            out[f"{name}_ms_per_turn"] = round((after - before) * 1000 / max(1, turns), 1)
    return out


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return ""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), percentile([5.0], 50)
    (10, 5.0)
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered) / 100))
    return ordered[min(rank, len(ordered)) - 1]


def _shoppers(db: Path, settings: Settings, sessions: int, turns: int) -> list[Shopper]:
    """Customers with PINs in the copy, each with an allergen, two foods and the turn plan."""
    pins = prepare_customers(db, settings.data_dir, sessions)
    conn = sqlite3.connect(db)
    profile_allergens = {cid: tuple(a for (a,) in conn.execute(
        "SELECT allergen FROM allergies WHERE customer_id = ?", (cid,))) for cid, _ in pins}
    conn.close()
    plan = plan_for(turns)
    return [Shopper(i, cid, pin, SHOPPING[i % len(SHOPPING)][0], SHOPPING[i % len(SHOPPING)][1:],
                    plan, profile_allergens=profile_allergens.get(cid, ()))
            for i, (cid, pin) in enumerate(pins)]


def _drive(url: str, shoppers: list[Shopper], catalog: dict, think_ms: float) -> float:
    """All shoppers at once, one thread each; returns the wall seconds."""
    names: dict[str, set[str]] = {}
    for p in catalog.values():
        names.setdefault(p.name, set()).add(p.id)
    others = {s.customer_id: s.added for s in shoppers}   # live views of each shopper's adds
    barrier = threading.Barrier(len(shoppers))
    threads = [threading.Thread(target=run_shopper, args=(url, s, catalog, names, others, barrier, think_ms),
                                name=f"shopper-{s.index}", daemon=True) for s in shoppers]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def summarize(shoppers: list[Shopper], problems: list[str]) -> dict:
    """The printed figures (without the run's settings)."""
    ok = [t for s in shoppers for t in s.turns if not t.error and t.ms]
    leaks = [f"{s.customer_id}: {leak}" for s in shoppers for leak in s.leaks]
    errors = [f"{s.customer_id} {t.kind}: {t.error}" for s in shoppers for t in s.turns if t.error]
    ms_of = lambda kinds: [t.ms for t in ok if t.kind in kinds]
    by_kind = {kind: {"n": len(ms_of((kind,))), "p50_ms": round(percentile(ms_of((kind,)), 50), 1),
                      "p95_ms": round(percentile(ms_of((kind,)), 95), 1),
                      "max_queue_ms": round(max(t.queue_ms for t in ok if t.kind == kind), 1)}
               for kind in dict.fromkeys(t.kind for t in ok)}
    return {
        "errors": len(errors), "p50_ms": round(percentile([t.ms for t in ok], 50), 1),
        "p95_ms": round(percentile([t.ms for t in ok], 95), 1),
        "max_queue_ms": round(max((t.queue_ms for t in ok), default=0.0), 1),
        "leaks": len(leaks), "lost_writes": len(problems),
        "max_ms": round(max((t.ms for t in ok), default=0.0), 1),
        "sign_in_p95_ms": round(percentile(ms_of(("sign_in",)), 95), 1),
        "chat_p95_ms": round(percentile(ms_of(("search", "cart")), 95), 1), "by_kind": by_kind,
        "orders": sum(1 for s in shoppers if s.order_id),
        "model_fallbacks": sum(1 for s in shoppers for t in s.turns if t.fallback),
        "empty_searches": sum(1 for s in shoppers for t in s.turns if t.kind == "search" and t.note),
        "details": {"errors": errors[:20], "leaks": leaks[:20], "lost_writes": problems[:20],
                    "notes": [f"{s.customer_id} {t.kind}: {t.note}" for s in shoppers for t in s.turns
                              if t.note][:20]},
    }


def run(sessions: int, turns: int, no_llm: bool, app_args: list[str], keep: bool = False,
        settings: Settings | None = None, log=None, think_ms: float = 0.0) -> dict:
    from store.catalog import load_catalog

    settings = settings or Settings.from_env()
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    tmp = Path(tempfile.mkdtemp(prefix="jangbogi-load-"))
    proc = None
    try:
        db = tmp / "jangbogi.db"
        copy_database(settings.db_path, db)
        copy_var(settings.var_dir, tmp / "var")
        shoppers = _shoppers(db, settings, sessions, turns)
        catalog = {p.id: p for p in load_catalog(Path(settings.data_dir) / "catalog" / "products.jsonl")}
        with contextlib.closing(sqlite3.connect(db)) as conn:
            orders_before = {r[0] for r in conn.execute("SELECT id FROM orders")}
        log(f"[load] starting the app ({'--no-llm' if no_llm else 'default model'}) on a copy in {tmp}")
        t_start = time.perf_counter()
        proc, url, _log_path = start_app(tmp, db, settings, no_llm, app_args)
        log(f"[load] app up at {url} after {time.perf_counter() - t_start:.0f}s; "
            f"{sessions} shoppers x {turns} turns")
        load_before = load_average()
        app_cpu, client_cpu = [cpu_seconds(proc.pid)], [cpu_seconds()]
        wall_s = _drive(url, shoppers, catalog, think_ms)
        app_cpu.append(cpu_seconds(proc.pid))
        client_cpu.append(cpu_seconds())
        load_after = load_average()
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        figures = summarize(shoppers, audit(db, shoppers, orders_before))
        result = {"sessions": sessions, "turns": turns, "think_ms": think_ms, **figures,
                  "wall_s": round(wall_s, 1), "model": "none (--no-llm)" if no_llm else (" ".join(app_args) or "default"),
                  "cpu": _cpu_figures(tuple(app_cpu), tuple(client_cpu), sum(len(s.turns) for s in shoppers)),
                  "load_average": {"before": load_before, "after": load_after}, "cpus": os.cpu_count()}
        result["details"] = result.pop("details")
        if keep:
            result["kept"] = str(tmp)
        return result
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    global TURN_TIMEOUT_S
    parser = argparse.ArgumentParser(
        prog="python -m ui.loadtest",
        description="N concurrent gradio_client shoppers against app.py on a copy of the database. "
                    "Arguments after -- go to app.py (e.g. -- --chat-model smollm2).")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--no-llm", action="store_true", help="template answers (app.py --no-llm)")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause between a shopper's turns, 0.5x to 1.5x this (0 = all turns back to back)")
    parser.add_argument("--turn-timeout-s", type=float, default=TURN_TIMEOUT_S,
                        help="a turn running longer counts as an error")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy (path in the output)")
    parser.add_argument("--db", type=Path, default=None, help="database to copy (default: Settings.db_path)")
    argv = list(sys.argv[1:] if argv is None else argv)
    app_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, app_args = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.turns < 1:
        parser.error("--sessions and --turns must be at least 1")
    TURN_TIMEOUT_S = args.turn_timeout_s
    settings = Settings.from_env()
    if args.db:
        import dataclasses

        settings = dataclasses.replace(settings, db_path=args.db)
    result = run(args.sessions, args.turns, args.no_llm, app_args, keep=args.keep, settings=settings,
                 think_ms=args.think_ms)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if not (result["errors"] or result["leaks"] or result["lost_writes"]) else 1


if __name__ == "__main__":
    sys.exit(main())
