"""Payment: what an order costs (computed by code) and the provider seam that charges it.

`price_order(...)` -> `Quote`: item totals, minus one product coupon [쿠폰-01] and points
[적립금-01], plus the delivery fee by method and region, free from 40,000원 of what is
actually paid for the items [배송-04] (the 제주·도서산간 extra always applies), minus one
delivery coupon. Shown to the shopper before they confirm.

`PaymentProvider` is where a real PG SDK plugs in: `authorize`, `capture` and `refund`, each
with an idempotency key. A request repeated with the same key (a retry after a timeout, a
double click) returns the first result and never charges twice [결제-04].
`SandboxProvider` keeps its own ledger in the `pg_sandbox` table (no network).
Kiosk pickup orders are paid at the store (`ONSITE`, 현장 결제) when picked up.

Example:
    >>> from store.delivery import parse_region
    >>> q = price_order(38_000, "새벽", parse_region("서울 마포구"))
    >>> q.delivery_fee, q.total
    (3500, 41500)
    >>> price_order(38_000, "일반", parse_region("제주 제주시"), points=1_000).delivery_fee
    6000
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from store.delivery import Region, delivery_fee, kst, load_rules, surcharge

CARD = "카드"
ONSITE = "현장 결제"
# 환불-01: how long a refund takes to reach each payment method.
REFUND_TIMES = {CARD: "카드사 승인 취소까지 3~7영업일", "간편결제": "1~3영업일",
                "계좌이체": "등록한 환불 계좌로 1~2영업일", "적립금": "취소 즉시 다시 적립",
                ONSITE: "매장에서 결제한 수단으로 바로 취소"}


class PaymentError(Exception):
    """The provider refused (limit, blocked card, ...); nothing was charged."""

    def __init__(self, message: str, user_message: str = "결제가 승인되지 않았어요. 다른 결제 수단으로 "
                 "다시 시도하거나 카드사에 문의해 주세요 [결제-04].") -> None:
        super().__init__(message)
        self.user_message = user_message


@dataclass(frozen=True)
class PaymentResult:
    ref: str              # the provider's reference of this operation
    amount: int
    replayed: bool = False   # True: the key was seen before, nothing new was charged


class PaymentProvider(Protocol):
    """A payment gateway. Every call is idempotent on `key`."""

    name: str

    def authorize(self, amount: int, *, key: str) -> PaymentResult: ...

    def capture(self, auth_ref: str, amount: int, *, key: str) -> PaymentResult: ...

    def refund(self, capture_ref: str, amount: int, *, key: str) -> PaymentResult: ...


class SandboxProvider:
    """A stand-in PG: approves every amount >= 0, records each operation once per key in
    `pg_sandbox` (the PG's own books, so separate processes agree), no network.

    `decline_over` makes it refuse authorizations above an amount (tests of failures).
    """

    name = "sandbox"

    def __init__(self, db, *, decline_over: int | None = None) -> None:
        self.db = db
        self.decline_over = decline_over

    def _op(self, op: str, amount: int, key: str, parent: str | None) -> PaymentResult:
        from database.connection import run_write

        if amount < 0:
            raise PaymentError(f"negative amount {amount}")

        def write() -> PaymentResult:
            conn = self.db.conn
            row = conn.execute("SELECT op, ref, amount FROM pg_sandbox WHERE idempotency_key = ?",
                               (key,)).fetchone()
            if row is not None:
                if row[0] != op or int(row[2]) != amount:
                    raise PaymentError(f"idempotency key {key!r} reused for {op} {amount}",
                                       "같은 결제 요청 번호로 다른 금액이 들어왔어요. 결제를 진행하지 않았어요.")
                return PaymentResult(row[1], int(row[2]), replayed=True)
            if op == "authorize" and self.decline_over is not None and amount > self.decline_over:
                raise PaymentError(f"declined: {amount} > {self.decline_over}")
            ref = f"sbx_{op[:3]}_{uuid.uuid4().hex[:12]}"
            conn.execute("INSERT INTO pg_sandbox (idempotency_key, op, ref, parent_ref, amount, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                         (key, op, ref, parent, amount, kst().isoformat(timespec="seconds")))
            return PaymentResult(ref, amount)
        return run_write(self.db, write)

    def authorize(self, amount: int, *, key: str) -> PaymentResult:
        return self._op("authorize", amount, key, None)

    def capture(self, auth_ref: str, amount: int, *, key: str) -> PaymentResult:
        return self._op("capture", amount, key, auth_ref)

    def refund(self, capture_ref: str, amount: int, *, key: str) -> PaymentResult:
        return self._op("refund", amount, key, capture_ref)

    def charges(self, conn: sqlite3.Connection | None = None) -> list[tuple[str, int]]:
        """(ref, amount) of every capture in the sandbox's books (what a card statement shows)."""
        conn = conn or self.db.conn
        return [(r[0], int(r[1])) for r in conn.execute(
            "SELECT ref, amount FROM pg_sandbox WHERE op = 'capture' ORDER BY rowid")]


@dataclass(frozen=True)
class Quote:
    """What the shopper pays, line by line, before confirming."""

    items_total: int
    coupon_discount: int
    points_used: int
    delivery_fee: int          # after a delivery coupon; includes the 제주·도서산간 extra
    delivery_coupon: int
    surcharge: int
    free_delivery: bool        # the method's base fee was waived by the threshold
    method: str
    coupon_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def discount(self) -> int:
        return self.coupon_discount + self.delivery_coupon

    @property
    def total(self) -> int:
        return self.items_total - self.coupon_discount - self.points_used + self.delivery_fee

    def lines_ko(self) -> list[str]:
        from store.delivery import load_rules as _rules

        label = _rules()["methods"][self.method]["label"]
        out = [f"상품 금액 {self.items_total:,}원"]
        if self.coupon_discount:
            out.append(f"상품 쿠폰 -{self.coupon_discount:,}원")
        if self.points_used:
            out.append(f"적립금 -{self.points_used:,}원")
        if self.method == "픽업":
            out.append("배송비 0원 (매장 픽업 [픽업-01])")
        elif self.free_delivery:
            extra = f", {self.surcharge:,}원 추가 배송비" if self.surcharge else ""
            out.append(f"{label} 배송비 무료 (40,000원 이상 [배송-04]{extra})")
        else:
            coupon = f", 배송비 쿠폰 -{self.delivery_coupon:,}원" if self.delivery_coupon else ""
            out.append(f"{label} 배송비 {self.delivery_fee:,}원 (40,000원 미만 [배송-04]{coupon})")
        out.append(f"결제 금액 {self.total:,}원")
        return out


def price_order(items_total: int, method: str, region: Region, *, coupons: list[dict] = (),
                points: int = 0, now=None) -> Quote:
    """The amount of an order. `coupons`: rows of the customer's unused coupons (kind,
    amount, min_order, expires_at, id); at most one product and one delivery coupon, the
    largest valid one of each [쿠폰-01]. `points`: how many points to use (1원 units, also
    on the delivery fee [적립금-01]); the free-delivery basis is what is paid for the items
    after coupons and points [배송-04]."""
    rules = load_rules()
    moment = kst(now)
    valid = [c for c in coupons if not c.get("used_order_id")
             and kst(c["expires_at"]) >= moment and items_total >= int(c.get("min_order", 0))]
    product = max((c for c in valid if c["kind"] == "product"), key=lambda c: c["amount"], default=None)
    delivery = max((c for c in valid if c["kind"] == "delivery"), key=lambda c: c["amount"], default=None)
    coupon_discount = min(int(product["amount"]), items_total) if product else 0
    due = items_total - coupon_discount
    points = max(0, int(points))
    on_items = min(points, due)
    basis = due - on_items
    extra = surcharge(region, rules)[1] if method != "픽업" else 0
    fee = delivery_fee(method, region, basis, rules)
    base = fee - extra
    delivery_coupon = min(int(delivery["amount"]), base) if delivery and base > 0 else 0
    fee -= delivery_coupon
    on_fee = min(points - on_items, fee)
    ids = tuple(c["id"] for c in (product, delivery) if c is not None
                and (c is product and coupon_discount or c is delivery and delivery_coupon))
    return Quote(items_total, coupon_discount, on_items + on_fee, fee, delivery_coupon, extra,
                 method != "픽업" and base == 0, method, ids)
