"""Customer records: create, read, update (validated, change-logged) and the login PIN.

List-valued fields live in child tables (`dietary_rules`, `allergies`, `disliked_brands`,
`category_prefs`, `brand_prefs`); pets are a JSON list on the row. The PIN is stored only
as a salted PBKDF2-SHA256 hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict
from datetime import datetime
from typing import Any, Mapping

from profiles._base import StoreBase, iso
from profiles.errors import AnonymousSession, CustomerExists, CustomerNotFound, ValidationError
from profiles.models import CHANGE_SOURCES, ChangeLogEntry, Customer
from profiles.validation import PROFILE_FIELDS, clean, clean_customer_id, clean_pin

PIN_ITERATIONS = 120_000
_ROW_FIELDS = ("display_name", "age_band", "region", "household_size", "persona",
               "price_sensitivity", "monthly_budget")
# field -> (table, column) for list fields kept in child tables
_SET_TABLES = {"dietary": ("dietary_rules", "rule"), "allergies": ("allergies", "allergen"),
               "disliked_brands": ("disliked_brands", "brand")}
_WEIGHT_TABLES = {"preferred_categories": ("category_prefs", "category"),
                  "preferred_brands": ("brand_prefs", "brand")}


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """`pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`; the PIN itself is never stored."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(candidate.hex(), digest)


def _json_or_none(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _check_source(source: str) -> str:
    if source not in CHANGE_SOURCES:
        raise ValidationError("source", f"must be one of {CHANGE_SOURCES}, got {source!r}",
                              "변경 출처가 올바르지 않아요.")
    return source


class CustomersMixin(StoreBase):
    # -- reading -----------------------------------------------------------------------
    def _load(self, customer_id: str) -> Customer | None:
        rows = self._rows("SELECT * FROM customers WHERE id = ?", (customer_id,))
        if not rows:
            return None
        row = rows[0]
        lists = {f: tuple(r[0] for r in self.db.conn.execute(
                     f"SELECT {col} FROM {table} WHERE customer_id = ? ORDER BY {col}",
                     (customer_id,)))
                 for f, (table, col) in _SET_TABLES.items()}
        weights = {f: {r[0]: r[1] for r in self.db.conn.execute(
                       f"SELECT {col}, weight FROM {table} WHERE customer_id = ? ORDER BY {col}",
                       (customer_id,))}
                   for f, (table, col) in _WEIGHT_TABLES.items()}
        return Customer(id=row["id"], **{f: row[f] for f in _ROW_FIELDS},
                        pets=tuple(json.loads(row["pets"] or "[]")), **lists, **weights,
                        has_pin=bool(row.get("pin_hash")), created_at=row["created_at"],
                        updated_at=row["updated_at"])

    def get(self, customer_id: str | None) -> Customer:
        """The customer; raises `CustomerNotFound` (or `AnonymousSession` for None)."""
        if customer_id is None:
            raise AnonymousSession("get")
        customer = self._read(lambda: self._load(customer_id))
        if customer is None:
            raise CustomerNotFound(customer_id)
        return customer

    def exists(self, customer_id: str | None) -> bool:
        return customer_id is not None and self._read(lambda: self._exists(customer_id))

    def list_customers(self) -> list[Customer]:
        def run() -> list[Customer]:
            ids = [r[0] for r in self.db.conn.execute("SELECT id FROM customers ORDER BY id")]
            return [c for c in (self._load(i) for i in ids) if c is not None]
        return self._read(run)

    def change_log(self, customer_id: str | None, *, limit: int = 100) -> list[ChangeLogEntry]:
        """What changed and from where (customer, dialogue, purchase, system), newest first."""
        if customer_id is None:
            return []
        rows = self._read(lambda: self._rows(
            "SELECT id, field, old_value, new_value, source, created_at FROM change_log "
            "WHERE customer_id = ? ORDER BY id DESC LIMIT ?", (customer_id, int(limit))))
        return [ChangeLogEntry(**{**r, "old_value": _json_or_none(r["old_value"]),
                                  "new_value": _json_or_none(r["new_value"])}) for r in rows]

    # -- writing -----------------------------------------------------------------------
    def _set_field(self, customer_id: str, field: str, value: Any) -> None:
        conn = self.db.conn
        if field in _SET_TABLES:
            table, col = _SET_TABLES[field]
            conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))
            conn.executemany(f"INSERT INTO {table} (customer_id, {col}) VALUES (?, ?)",
                             [(customer_id, v) for v in value])
        elif field in _WEIGHT_TABLES:
            table, col = _WEIGHT_TABLES[field]
            conn.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))
            conn.executemany(f"INSERT INTO {table} (customer_id, {col}, weight) VALUES (?, ?, ?)",
                             [(customer_id, k, w) for k, w in value.items()])
        elif field == "pets":
            conn.execute("UPDATE customers SET pets = ? WHERE id = ?",
                         (json.dumps(list(value), ensure_ascii=False), customer_id))
        else:
            conn.execute(f"UPDATE customers SET {field} = ? WHERE id = ?", (value, customer_id))

    def _apply_changes(self, customer_id: str, changes: Mapping[str, Any], source: str,
                       ts: str) -> Customer:
        old = self._load(customer_id)
        if old is None:
            raise CustomerNotFound(customer_id)
        before = asdict(old)
        changed = False
        for field, value in changes.items():
            old_value = before[field]
            comparable = list(value) if isinstance(value, tuple) else value
            if comparable == (list(old_value) if isinstance(old_value, tuple) else old_value):
                continue
            self._set_field(customer_id, field, value)
            self._log(customer_id, field, old_value, value, source, ts)
            changed = True
        if changed:
            self.db.conn.execute("UPDATE customers SET updated_at = ? WHERE id = ?",
                                 (ts, customer_id))
        return self._load(customer_id)  # type: ignore[return-value]

    def add_customer(self, customer_id: str | None, display_name: str, *, pin: str | None = None,
               source: str = "customer", now: datetime | None = None, **fields: Any) -> Customer:
        """Create a customer. `fields` are any of `validation.PROFILE_FIELDS`."""
        if customer_id is None:
            raise AnonymousSession("create")
        customer_id = clean_customer_id(customer_id)
        values = {"display_name": clean("display_name", display_name)}
        values.update({f: clean(f, v) for f, v in fields.items()})
        pin_hash = hash_pin(clean_pin(pin)) if pin is not None else None
        _check_source(source)
        ts = iso(now)

        def run() -> Customer:
            if self._exists(customer_id):
                raise CustomerExists(customer_id)
            self.db.conn.execute(
                "INSERT INTO customers (id, display_name, pets, pin_hash, created_at, updated_at)"
                " VALUES (?, ?, '[]', ?, ?, ?)",
                (customer_id, values["display_name"], pin_hash, ts, ts))
            self._log(customer_id, "created", None, None, source, ts)
            rest = {f: v for f, v in values.items() if f != "display_name"}
            for field, value in rest.items():
                self._set_field(customer_id, field, value)
            return self._load(customer_id)  # type: ignore[return-value]

        return self._write(run)

    def update(self, customer_id: str | None, changes: Mapping[str, Any], *,
               source: str = "customer", now: datetime | None = None) -> Customer:
        """Validate and apply `changes` ({field: new value}) in one transaction; each real
        change is written to the change log with its `source`."""
        if customer_id is None:
            raise AnonymousSession("update")
        unknown = set(changes) - set(PROFILE_FIELDS)
        if unknown:
            clean(sorted(unknown)[0], None)  # raises the "unknown field" error
        cleaned = {f: clean(f, v) for f, v in changes.items()}
        _check_source(source)
        ts = iso(now)
        return self._write(lambda: self._apply_changes(customer_id, cleaned, source, ts))

    def set_pin(self, customer_id: str | None, pin: str, *, now: datetime | None = None) -> None:
        if customer_id is None:
            raise AnonymousSession("set_pin")
        pin_hash = hash_pin(clean_pin(pin))
        ts = iso(now)

        def run() -> None:
            self._require(customer_id, "set_pin")
            self.db.conn.execute("UPDATE customers SET pin_hash = ?, updated_at = ? WHERE id = ?",
                                 (pin_hash, ts, customer_id))
            self._log(customer_id, "pin", None, "(changed)", "customer", ts)
        self._write(run)

    def verify_pin(self, customer_id: str | None, pin: str) -> bool:
        """True when `pin` matches; False for a wrong PIN, no PIN set or an unknown customer."""
        if customer_id is None:
            raise AnonymousSession("verify_pin")
        stored = self._read(lambda: self._one("SELECT pin_hash FROM customers WHERE id = ?",
                                              (customer_id,)))
        if not stored or not isinstance(pin, str):
            return False
        return check_pin(pin, stored)
