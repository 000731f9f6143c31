"""The HTTP API handlers (`/sign_in`, `/ask`), without Gradio.

A caller proves who they are once with `/sign_in` (customer id + PIN, the same limits as the
browser) and gets a signed token that expires; customer-scoped answers (cart, orders, reorder,
checkout, profile-aware recommendations) need that token on every `/ask`. A bare `customer_id`
is ignored: without a token the answer is anonymous. A forged or expired token, or a token
for another customer than the `customer_id` sent with it, is refused with a Korean error.

    >>> from ui.testing import small_shop
    >>> shop = small_shop()
    >>> ask(shop, "내 주문 어디쯤 왔어요?", customer_id="C002")["signed_in"]
    False
"""

from __future__ import annotations

import logging

from assistant.types import DialogueState
from ui.handlers import UIServices
from ui.presenters import validate_message

log = logging.getLogger("jangbogi.api")

TOKEN_INVALID = "로그인 정보가 올바르지 않거나 만료됐어요. /sign_in으로 다시 로그인해 주세요."
TOKEN_OTHER = "이 로그인 정보로는 다른 고객의 정보를 볼 수 없어요."


def sign_in(services: UIServices, customer_id: str, pin: str, client: str = "") -> dict:
    """{"token", "customer_id", "expires_in"} for a right id + PIN, else {"error"}."""
    customer_id = (customer_id or "").strip() if isinstance(customer_id, str) else ""
    if not customer_id or not pin:
        return {"error": "고객 번호와 PIN을 입력해 주세요."}
    check = services.gate.check_customer_pin(services.profiles, customer_id, pin, client)
    if not check.ok:
        return {"error": check.message}
    token = services.gate.tokens.issue(customer_id)
    return {"token": token, "customer_id": customer_id, "expires_in": int(services.gate.tokens.ttl_s)}


def ask(services: UIServices, message: str, token: str = "", customer_id: str = "", client: str = "") -> dict:
    """One question; the same JSON as `python -m assistant ask --json`, plus `signed_in`."""
    problem = validate_message(message)
    if problem:
        return {"id": "api", "error": problem}
    cid = None
    if token:
        cid = services.gate.customer_of(token)
        if cid is None:
            log.warning("api ask refused: invalid or expired token from client %s", client)
            return {"id": "api", "error": TOKEN_INVALID, "signed_in": False}
    if customer_id and cid is not None and customer_id.strip() != cid:
        log.warning("api ask refused: token of %r used for customer %r from client %s", cid, customer_id, client)
        return {"id": "api", "error": TOKEN_OTHER, "signed_in": True}
    answer = services.assistant.answer(message, DialogueState(customer_id=cid), cid)
    return {"id": "api", **{k: v for k, v in answer.items() if k != "id"}, "signed_in": cid is not None}
