"""Store-side logic: the catalog and help-center policies (loading and validation), the
stock ledger, checkout and orders, orders after checkout (`store.lifecycle`: states,
delivery slots, payment, cancel/return/exchange/refund), sales history, demand forecasting
and reorder simulation.

Leaves to others: customer profiles and carts (`profiles/`), search (`retrieval/`), the
dialogue (`assistant/`). Imports are lazy: importing `store` opens no database.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Product": "store.catalog", "PolicyDoc": "store.catalog", "CatalogError": "store.catalog",
    "load_catalog": "store.catalog", "load_policies": "store.catalog",
    "StockLedger": "store.stock", "InsufficientStock": "store.stock",
    "checkout": "store.orders", "order_status": "store.orders", "OrderNotFound": "store.orders",
    "place_order": "store.lifecycle", "cancel_order": "store.lifecycle",
    "change_address": "store.lifecycle", "request_return": "store.lifecycle",
    "decide_return": "store.lifecycle", "pending_returns": "store.lifecycle",
    "order_panel": "store.lifecycle", "order_card": "store.lifecycle", "ActionRefused": "store.lifecycle",
    "PaymentProvider": "store.payment", "SandboxProvider": "store.payment", "price_order": "store.payment",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'store' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
