"""Customer profiles in SQLite: `ProfileStore` (profile, learning
with consent, carts, orders, conversation history, feedback), privacy (export, hard
delete, PII masking, minimal prompt facts) and the `python -m profiles` CLI.

Leaves out: the database connection and migrations (`database/`), the catalog, orders and
checkout (`store/`), and deciding what to ask the customer
(`assistant/`). Imports are lazy: importing `profiles` opens no database.

    from profiles import ProfileStore, connect
    store = ProfileStore(connect("var/jangbogi.db"))
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ProfileStore": "profiles.store",
    # The database itself is owned by `database/`; these names stay for callers' comfort.
    "connect": "database.connection", "run_write": "database.connection",
    "migrate": "database.migrations", "schema_version": "database.migrations",
    "migration_names": "database.migrations",
    "Customer": "profiles.models", "Consent": "profiles.models", "Proposal": "profiles.models",
    "CartItem": "profiles.models", "OrderRecord": "profiles.models",
    "OrderLine": "profiles.models", "RankingFeatures": "profiles.models",
    "ChangeLogEntry": "profiles.models",
    "ProfileError": "profiles.errors", "ValidationError": "profiles.errors",
    "CustomerNotFound": "profiles.errors", "CustomerExists": "profiles.errors",
    "ProposalError": "profiles.errors",
    "AnonymousSession": "profiles.errors", "DatabaseBusy": "database.errors",
    "OrderNotFound": "store.orders",
    "mask_pii": "profiles.masking", "PiiMaskingFilter": "profiles.masking",
    "install_log_masking": "profiles.masking",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'profiles' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
