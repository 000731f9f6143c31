"""Seeded generator of the store's data: catalog, policies, customers, orders, eval queries
and product images, drawn from curated tables written by hand in this package.

`python -m store.datagen --seed 7` regenerates every committed data file byte-identically.
Importing this package writes nothing; `write_all` does the work.
"""

from __future__ import annotations

__all__ = ["write_all"]


def write_all(*args, **kwargs):
    from store.datagen.__main__ import write_all as _write_all

    return _write_all(*args, **kwargs)
