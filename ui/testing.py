"""A small real shop for handler tests: no model, no index, no files.

`small_shop()` returns `UIServices` around a real `Assistant` (tiny catalog, keyword
retriever, template answers), a real `ProfileStore` on an in-memory SQLite database with the
stock ledger and order tables, two customers with PINs and one past order each, and a
scripted understanding (message -> `Understanding`) so tests do not load the Korean analyzer.
Not for production; `ui.layout.build_demo` uses `assistant.build_services`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from assistant.types import Slots, Understanding
from ui.handlers import UIServices

CUSTOMERS = {"C001": ("김하늘", "1234"), "C002": ("박지영", "5678")}
ORDERS = {"C001": ("O-A-1", "P0003", 8900), "C002": ("O-B-7", "P0004", 12900)}

SCRIPT = {
    "간식 추천해줘": Understanding("search", Slots(keywords=("간식",))),
    "내 주문 어디쯤 왔어요?": Understanding("order_status", Slots()),
    "지난번이랑 똑같이 주문해줘": Understanding("reorder", Slots()),
    "결제할게요": Understanding("checkout", Slots()),
    "장바구니 보여줘": Understanding("cart_view", Slots()),
}


def scripted_understanding(script: dict[str, Understanding] | None = None):
    """`understand(message, state, lexicon)` from a table (exact message, else the first entry
    the message contains); other messages are a keyword search. An `order_id` written like
    O-B-7 in the message is picked up as the order-status slot."""
    table = {**SCRIPT, **(script or {})}

    def understand(message: str, state, lexicon=None) -> Understanding:
        und = table.get(message) or next((u for key, u in table.items() if key in message), None)
        if und is None:
            return Understanding("search", Slots(keywords=tuple(message.split()[:3])))
        if und.intent == "order_status":
            found = [w.strip("?.,") for w in message.split() if w.startswith("O-")]
            if found:
                und = replace(und, slots=replace(und.slots, order_id=found[0]))
        return und

    return understand


def small_shop(*, generator=None, script: dict | None = None, catalog: list | None = None,
               **ui_options: Any) -> UIServices:
    """UIServices for tests; `ui_options` override UIServices fields (kiosk, clock, ...)."""
    from assistant.service import Assistant
    from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies
    from profiles import ProfileStore, connect, migrate
    from store.stock import StockLedger

    products = catalog or tiny_catalog()
    policies = tiny_policies()
    db = connect(":memory:")
    migrate(db)
    profiles = ProfileStore(db)
    ledger = StockLedger(db)
    ledger.seed_from_catalog(products)
    for cid, (name, pin) in CUSTOMERS.items():
        profiles.add_customer(cid, name, pin=pin)
        profiles.set_consent(cid, personalization=True, history=True)
    for cid, (oid, pid, total) in ORDERS.items():
        db.execute("insert into orders (id, customer_id, created_at, status, total, source) values "
                   "(?, ?, '2026-11-01T10:00:00', 'shipped', ?, 'seed')", [oid, cid, total])
        db.execute("insert into order_items (order_id, product_id, qty, unit_price) values (?, ?, 1, ?)",
                   [oid, pid, total])
    assistant = Assistant(products, policies, KeywordRetriever(products, policies), profiles=profiles,
                          generator=generator, db=db, stock=ledger, understand=scripted_understanding(script))
    return UIServices(assistant, profiles, **ui_options)


def store_shop(**ui_options: Any) -> UIServices:
    """`small_shop` around the real catalog (data/catalog) and the real rule-based
    understanding (no model), so plans, store locations, bought-together and the moment's
    picks run on the store's own tables as in the app."""
    from assistant.nlu import understand
    from assistant.settings import REPO_ROOT
    from store.catalog import load_catalog

    shop = small_shop(catalog=load_catalog(REPO_ROOT / "data" / "catalog" / "products.jsonl"), **ui_options)
    shop.assistant._understand = understand
    return shop
