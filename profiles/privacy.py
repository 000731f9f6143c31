"""Privacy: export everything about a customer, delete it everywhere, and hand prompts
only the profile facts a turn needs.

Export and delete discover every table with a `customer_id` column (so tables added by
later migrations, or by other packages in the shared file, are covered), plus the
`order_items` of the customer's orders and the `customers` row itself. The PIN hash is
never exported.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import datetime

from profiles._base import StoreBase, iso
from profiles.errors import AnonymousSession, CustomerNotFound

EXPORT_FORMAT = "jangbogi-profile-export/1"
_SECRET_COLUMNS = {"pin_hash"}
# What each intent may see. Names, PINs and regions never reach a prompt.
PROMPT_FIELDS: dict[str, tuple[str, ...]] = {
    "search": ("allergies", "dietary", "disliked_brands"),
    "product_question": ("allergies", "dietary"),
    "reorder": ("allergies", "dietary"),
    "recommend": ("allergies", "dietary", "disliked_brands", "household_size", "pets",
                  "price_sensitivity"),
    "profile_update": ("allergies", "dietary"),
}


def customer_tables(db) -> list[str]:
    """Tables (other than `customers`) that have a `customer_id` column, by name."""
    names = [r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return [n for n in names if n != "customers" and any(
        col[1] == "customer_id" for col in db.conn.execute(f'PRAGMA table_info("{n}")'))]


class PrivacyMixin(StoreBase):
    def export(self, customer_id: str | None, *, now: datetime | None = None) -> dict:
        """Everything stored about the customer, JSON-ready; raises `CustomerNotFound`."""
        if customer_id is None:
            raise AnonymousSession("export")
        ts = iso(now)

        def run() -> dict:
            customer = self._load(customer_id)
            if customer is None:
                raise CustomerNotFound(customer_id)
            tables: dict[str, list[dict]] = {}
            row = self._rows("SELECT * FROM customers WHERE id = ?", (customer_id,))[0]
            tables["customers"] = [{k: v for k, v in row.items() if k not in _SECRET_COLUMNS}]
            for name in customer_tables(self.db):
                tables[name] = self._rows(
                    f'SELECT * FROM "{name}" WHERE customer_id = ? ORDER BY rowid', (customer_id,))
            tables["order_items"] = self._rows(
                "SELECT i.* FROM order_items i JOIN orders o ON o.id = i.order_id "
                "WHERE o.customer_id = ? ORDER BY i.rowid", (customer_id,))
            data = {"format": EXPORT_FORMAT, "exported_at": ts,
                    "customer": asdict(customer), "consent": asdict(self._consent(customer_id)),
                    "tables": tables}
            return json.loads(json.dumps(data, ensure_ascii=False))  # plain JSON types only
        return self._read(run)

    def delete(self, customer_id: str | None) -> dict[str, int]:
        """Hard-delete the customer from every table in one transaction; returns the rows
        deleted per table. Raises `CustomerNotFound` for unknown ids."""
        if customer_id is None:
            raise AnonymousSession("delete")

        def run() -> dict[str, int]:
            if not self._exists(customer_id):
                raise CustomerNotFound(customer_id)
            conn = self.db.conn
            counts = {"order_items": conn.execute(
                "DELETE FROM order_items WHERE order_id IN "
                "(SELECT id FROM orders WHERE customer_id = ?)", (customer_id,)).rowcount}
            # Children first, so the result does not depend on ON DELETE CASCADE being on.
            order = sorted(customer_tables(self.db), key=lambda n: (n in ("orders", "chat_sessions"), n))
            for name in order:
                counts[name] = conn.execute(f'DELETE FROM "{name}" WHERE customer_id = ?',
                                            (customer_id,)).rowcount
            counts["customers"] = conn.execute("DELETE FROM customers WHERE id = ?",
                                               (customer_id,)).rowcount
            return {k: v for k, v in counts.items() if v}
        counts = self._write(run)
        self._checkpoint()
        return counts

    def _checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it, so deleted rows do not linger
        in old WAL frames. Best effort: skipped inside a caller's transaction or when
        readers keep the WAL busy (it is retried by SQLite's own later checkpoints)."""
        if self.db.conn.in_transaction:
            return
        with self._lock:
            try:
                self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.OperationalError:
                pass

    def prompt_profile(self, customer_id: str | None, intent: str) -> dict:
        """Only the profile facts this intent needs (never name, PIN or region), e.g.
        {"allergies": ["땅콩"], "dietary": ["비건"]} for "search"; {} when none apply."""
        fields = PROMPT_FIELDS.get(intent, ())
        if customer_id is None or not fields:
            return {}
        customer = self._read(lambda: self._load(customer_id))
        if customer is None:
            return {}
        personal = {"household_size", "pets", "price_sensitivity"}
        if personal & set(fields) and not self.consent(customer_id).personalization:
            fields = tuple(f for f in fields if f not in personal)
        out = {}
        for field in fields:
            value = getattr(customer, field)
            if value in (None, (), {}):
                continue
            out[field] = list(value) if isinstance(value, tuple) else value
        return out
