"""Customer profiles in SQLite: schema and migrations, `ProfileStore` (profile, learning
with consent, carts, orders, conversation history, feedback), privacy (export, hard
delete, PII masking, minimal prompt facts) and the `python -m profiles` CLI.

Leaves out: the catalog and checkout (`store/`), and deciding what to ask the customer
(`assistant/`). Imports are lazy: importing `profiles` opens no database.

    from profiles import ProfileStore, connect
    store = ProfileStore(connect("var/jangbogi.db"))
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ProfileStore": "profiles.store",
    "connect": "profiles.db", "run_write": "profiles.db",
    "migrate": "profiles.schema", "schema_version": "profiles.schema",
    "migration_names": "profiles.schema",
    "Customer": "profiles.models", "Consent": "profiles.models", "Proposal": "profiles.models",
    "CartItem": "profiles.models", "OrderRecord": "profiles.models",
    "OrderLine": "profiles.models", "RankingFeatures": "profiles.models",
    "ChangeLogEntry": "profiles.models",
    "ProfileError": "profiles.errors", "ValidationError": "profiles.errors",
    "CustomerNotFound": "profiles.errors", "CustomerExists": "profiles.errors",
    "ProposalError": "profiles.errors",
    "AnonymousSession": "profiles.errors", "DatabaseBusy": "profiles.errors",
    "OrderNotFound": "profiles.errors",
    "mask_pii": "profiles.masking", "PiiMaskingFilter": "profiles.masking",
    "install_log_masking": "profiles.masking",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'profiles' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
