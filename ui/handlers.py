"""UI handlers: what each button and message does, without Gradio.

Every handler is a module-level function `handler(services, session, *inputs)` that returns
a `View` (or, for `send`, yields them). A `View` names what changes on screen; fields left at
None stay as they are, and `info` / `warning` become toasts. `ui.layout` maps a `View` onto
the components, so these functions run in unit tests with fake services.

Authorization: a session acts for a customer only while it holds a valid signed token for
that customer (`UISession.token`, checked by `_customer`); the customer id reaching the
services comes from there, never from an input. Sign-in takes id + PIN (demo customers
without a PIN only in demo mode), export and delete ask for the PIN again, and every PIN
check goes through `ui.auth.Gate` (5 failures per id or client lock it for 5 minutes).

    >>> view = sign_out(None, UISession(customer_id="C001"))
    >>> view.session.customer_id is None, view.cart
    (True, '<div class="jb-cart-empty">장바구니가 비어 있어요.</div>')
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from assistant.types import DialogueState
from profiles.errors import ProfileError
from ui.auth import Gate
from ui.presenters import cart_html, profile_markdown, sources_html, validate_message

log = logging.getLogger("jangbogi.ui")

ALLERGENS = ["알류", "우유", "메밀", "땅콩", "대두", "밀", "고등어", "게", "새우", "돼지고기", "복숭아",
             "토마토", "아황산류", "호두", "닭고기", "쇠고기", "오징어", "조개류", "잣"]
CONSENT_LABELS = {"personalization": "맞춤 추천 (대화에서 취향 배우기)",
                  "history": "대화 기록 보관", "marketing": "마케팅 정보 수신"}
PROPOSAL_FIELDS = {"allergies": "알레르기", "dietary": "식단", "disliked_brands": "싫어하는 브랜드",
                   "preferred_brands": "좋아하는 브랜드"}


@dataclass
class UISession:
    """Everything one browser tab knows. Held in gr.State, deep-copied per session."""

    dialogue: DialogueState = field(default_factory=DialogueState)
    customer_id: str | None = None
    token: str = ""                      # signed proof of the sign-in (ui.auth.SessionTokens)
    staff_token: str = ""                # signed proof of the staff PIN (ui.orders.staff_session)
    products: list[dict] = field(default_factory=list)
    last_active: float = field(default_factory=time.time)


class SessionLocks:
    """One lock per live `UISession`: a tab's events run one at a time.

    Gradio hands every event of a browser session the same state object, and events run on
    worker threads (chat turns without a model two at a time, the buttons up to eight). Two
    events of one tab (a double-sent message, 담기 while an answer is being composed) would
    otherwise change one dialogue state at once. Other tabs and shoppers are not held up.
    The lock goes with its session object (`weakref.finalize`)."""

    def __init__(self) -> None:
        self._locks: dict[int, threading.RLock] = {}
        self._mutex = threading.Lock()

    def __len__(self) -> int:
        return len(self._locks)

    @contextlib.contextmanager
    def hold(self, session: Any):
        """Hold `session`'s lock for the block (no lock for None: a first event has no state yet)."""
        if session is None:
            yield
            return
        key = id(session)
        with self._mutex:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.RLock()
                weakref.finalize(session, self._locks.pop, key, None)
        with lock:
            yield


SESSION_LOCKS = SessionLocks()


@dataclass(frozen=True)
class UIServices:
    """What the handlers use. `from_services` builds it from `assistant.build_services`."""

    assistant: Any
    profiles: Any
    gate: Gate = field(default_factory=Gate.ephemeral)
    kiosk: bool = False
    demo: bool = False                   # demo customers pickable without a PIN
    kiosk_idle_s: float = 120
    staff_view: Callable[[], dict] | None = None   # raises with a Korean .user_message when setup is missing
    clock: Callable[[], float] = time.time

    @classmethod
    def from_services(cls, services, settings, gate: Gate | None = None) -> "UIServices":
        def staff_view() -> dict:
            from store.staff import staff_snapshot

            catalog = {p.id: p for p in services.catalog}
            return staff_snapshot(settings.var_dir, services.stock.ledger.levels(), catalog, db=services.db)

        return cls(services.assistant, services.profiles, gate=gate or Gate.from_settings(settings),
                   kiosk=settings.ui_mode == "kiosk", demo=settings.demo_mode and settings.ui_mode != "kiosk",
                   kiosk_idle_s=settings.kiosk_idle_s, staff_view=staff_view)


@dataclass
class View:
    """What a handler changes on screen; None = unchanged."""

    session: UISession | None = None
    history: list | None = None           # chatbot messages
    box: str | None = None                # the message textbox
    products: list | None = None          # product cards
    sources: str | None = None            # HTML
    cart: str | None = None               # HTML
    status: str | None = None             # Markdown line above the chat
    checkout_msg: str | None = None
    profile: str | None = None            # Markdown
    allergies: list | None = None         # checkbox values
    consents: list | None = None          # checkbox values (labels)
    pending: list | None = None           # (label, proposal id) choices
    export_file: str | None = None        # path of the JSON export
    staff_visible: bool | None = None
    staff_plot: Any = None
    staff_table: Any = None
    staff_alerts: str | None = None
    plan: str | None = None               # plan card HTML (ui.plans)
    plan_visible: bool | None = None      # the plan card and its "전부 담기" button
    floor: dict | None = None             # kiosk floor plan {"image", "label"}; {} hides it
    together: str | None = None           # "함께 많이 사는 상품" after a 담기 (HTML)
    info: str = ""                        # toast
    warning: str = ""                     # warning toast


STREAM_INTERVAL_S = 0.05


def merge_views(views) -> View:
    """One View with what `views` (in order) changed: for each field the last value that is
    not None; toasts joined. A template answer is composed at once, so its turn needs one
    screen update instead of several (each update is an event message and, for every
    unchanged output, a component rebuild in Gradio: docs/benchmarks/load.md).

    >>> v = merge_views([View(history=[1], box="", status="…"), View(status="끝", info="a"), View(info="b")])
    >>> v.history, v.box, v.status, v.info.splitlines()
    ([1], '', '끝', ['a', 'b'])
    """
    merged = View()
    for view in views:
        for name in View.__dataclass_fields__:
            value = getattr(view, name)
            if name in ("info", "warning"):
                if value and value not in getattr(merged, name).split("\n"):
                    setattr(merged, name, "\n".join(filter(None, [getattr(merged, name), value])))
            elif value is not None:
                setattr(merged, name, value)
    return merged
NEED_SIGN_IN = "로그인한 고객만 할 수 있어요. '{tab}' 탭에서 로그인해 주세요."
EXPIRED = "로그인 시간이 지났어요. 다시 로그인해 주세요."
NEED_PIN_AGAIN = "본인 확인을 위해 PIN을 다시 입력해 주세요."


def _session(s: UISession | None) -> UISession:
    return s if isinstance(s, UISession) else UISession()


def _customer(services: UIServices, sess: UISession) -> str | None:
    """The customer this session may act for: its token must be valid and name that customer."""
    if not sess.customer_id:
        return None
    cid = services.gate.customer_of(sess.token)
    return cid if cid == sess.customer_id else None


def _clean_panels() -> dict:
    """No plan card, floor plan or suggestions of the previous person (sign-in, sign-out)."""
    return {"plan": "", "plan_visible": False, "floor": {}, "together": ""}


def _signed_out(**extra) -> View:
    return View(session=UISession(), profile=profile_markdown(None), allergies=[], consents=[],
                cart=cart_html({}), history=[], products=[], sources=sources_html(None), **_clean_panels(), **extra)


def _who(services: UIServices, session: UISession | None) -> tuple[UISession, str | None, View | None]:
    """(session, authorized customer id or None, a View to return at once when the sign-in lapsed)."""
    sess = _session(session)
    cid = _customer(services, sess)
    if sess.customer_id and cid is None:
        log.info("sign-in of a session lapsed (expired or invalid token); session cleared")
        return UISession(), None, _signed_out(warning=EXPIRED)
    return sess, cid, None


def _need_sign_in(services: UIServices) -> View:
    return View(warning=NEED_SIGN_IN.format(tab="로그인" if services.kiosk else "내 정보"))


def _cart(services: UIServices, sess: UISession, cid: str | None) -> str:
    return cart_html(services.assistant.cart(sess.dialogue, cid))


# ---- chat ---------------------------------------------------------------------------------
def send(services: UIServices, session: UISession | None, message: str, history: list | None) -> Iterator[View]:
    """One chat turn: the user's line at once, then streamed tokens, then cards and cart."""
    sess, cid, lapsed = _who(services, session)
    problem = validate_message(message)
    if lapsed or problem:
        view = lapsed or View(session=sess, warning=problem)
        view.box = message      # the typed text is never lost
        yield view
        return
    sess.last_active = services.clock()
    history = list(history or []) + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
    yield View(session=sess, history=history, box="", status="답변을 준비하고 있어요…")
    reply, answer, shown = "", None, 0.0
    for event in services.assistant.respond(message, sess.dialogue, cid):
        kind = event.get("type")
        if kind == "token":
            reply += event["text"]
            history[-1] = {"role": "assistant", "content": reply}
            # At most one screen update per STREAM_INTERVAL_S: a model's tokens come slower
            # than that, but a template answer arrives word by word at once, and one update per
            # word cost the server more than the turn itself under load (docs/benchmarks/load.md).
            # A template answer ("draft") goes out whole with the final view below: an update
            # of its first word would be replaced a moment later.
            if not event.get("draft") and time.monotonic() - shown >= STREAM_INTERVAL_S:
                shown = time.monotonic()
                yield View(history=history)
        elif kind == "status":
            yield View(status=event.get("text", ""))
        elif kind == "done":
            answer = event["answer"]
    from ui import plans

    answer = answer or {"reply": reply, "products": [], "sources": []}
    history[-1] = {"role": "assistant", "content": answer.get("error") or answer.get("reply") or reply}
    if answer.get("products"):
        sess.products = plans.decorate_products(services, sess, cid, answer)
    notice = answer.get("notice") or ""
    yield View(session=sess, history=history, box="", products=sess.products, sources=sources_html(answer),
               cart=_cart(services, sess, cid), status=notice, info=notice, **plans.answer_fields(services, answer))


def feedback(services: UIServices, session: UISession | None, index: Any, value: Any, liked: bool) -> View:
    """A thumbs up/down on an answer: stored for signed-in customers only."""
    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    if not cid:
        return View(info="로그인하면 의견이 저장돼요. 비회원 의견은 저장하지 않아요.")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    services.profiles.add_feedback(cid, "answer", str(index), 1 if liked else -1, comment=str(text)[:500])
    return View(info="의견 감사합니다! 👍" if liked else "더 나아지도록 반영할게요. 🙏")


# ---- cart ---------------------------------------------------------------------------------
def add_to_cart(services: UIServices, session: UISession | None, product_id: str, qty: float = 1) -> View:
    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    sess.last_active = services.clock()
    result = services.assistant.add_to_cart(sess.dialogue, cid, product_id, int(qty or 1))
    if result.get("error"):
        return View(session=sess, cart=_cart(services, sess, cid), warning=result["error"])
    return View(session=sess, cart=_cart(services, sess, cid), info=result.get("message", "장바구니에 담았어요."))


def checkout(services: UIServices, session: UISession | None) -> View:
    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    result = services.assistant.checkout(sess.dialogue, cid)
    cart = _cart(services, sess, cid)
    if result.get("error"):
        return View(session=sess, cart=cart, checkout_msg=result["error"], warning=result["error"])
    msg = result.get("message", "주문이 완료됐어요.")
    return View(session=sess, cart=cart, checkout_msg=msg, info=msg)


# ---- profile ------------------------------------------------------------------------------
def profile_dict(profiles, customer_id: str) -> dict:
    """Customer + consent as the plain dict the presenters render."""
    c = profiles.get(customer_id)
    consent = profiles.consent(customer_id)
    return {"id": c.id, "name": c.display_name, "allergies": list(c.allergies), "dietary": list(c.dietary),
            "monthly_budget": c.monthly_budget,
            "consent": {k: getattr(consent, k) for k in CONSENT_LABELS}}


def demo_customers(profiles) -> list[tuple[str, str]]:
    """(label, id) choices for the demo picker, e.g. ("C001 · 김지현 (자취생)", "C001")."""
    out = []
    for c in profiles.list_customers():
        persona = f" ({c.persona})" if c.persona else ""
        out.append((f"{c.id} · {c.display_name}{persona}", c.id))
    return out


def sign_in(services: UIServices, session: UISession | None, customer_id: str, pin: str, client: str = "") -> View:
    """Customer id + PIN (or, in demo mode only, a demo customer without a PIN)."""
    customer_id = (customer_id or "").strip()
    if not customer_id:
        return View(warning="고객 번호를 입력하거나 데모 고객을 골라 주세요." if services.demo
                    else "고객 번호와 PIN을 입력해 주세요.")
    if not (services.demo and not pin):
        if not pin:
            return View(warning="PIN을 입력해 주세요.")
        check = services.gate.check_customer_pin(services.profiles, customer_id, pin, client)
        if not check.ok:
            return View(warning=check.message)
    try:
        profile = profile_dict(services.profiles, customer_id)
    except ProfileError as exc:  # demo pick of an unknown customer: named error with a Korean message
        return View(warning=exc.user_message)
    # A fresh dialogue: never mix two people's turns.
    sess = UISession(customer_id=customer_id, token=services.gate.tokens.issue(customer_id))
    sess.dialogue.customer_id = customer_id
    consent = profile.get("consent", {})
    return View(session=sess, profile=profile_markdown(profile), allergies=list(profile.get("allergies") or []),
                consents=[label for k, label in CONSENT_LABELS.items() if consent.get(k)],
                cart=_cart(services, sess, customer_id), history=[], products=[], sources=sources_html(None),
                **_clean_panels())


def sign_out(services: UIServices, session: UISession | None) -> View:
    return _signed_out()


def save_profile(services: UIServices, session: UISession | None, allergies: list, consents: list) -> View:
    sess, cid, lapsed = _who(services, session)
    if lapsed or not cid:
        return lapsed or _need_sign_in(services)
    wanted = {k: (label in (consents or [])) for k, label in CONSENT_LABELS.items()}
    try:
        services.profiles.set_consent(cid, **wanted)
        services.profiles.update(cid, {"allergies": list(allergies or [])}, source="customer")
    except ProfileError as exc:
        return View(warning=exc.user_message)
    return View(profile=profile_markdown(profile_dict(services.profiles, cid)), info="저장했어요.")


def proposal_label(field_name: str, value) -> str:
    """A pending proposal as the customer reads it.

    >>> proposal_label("allergies", ["땅콩", "새우"])
    '알레르기: 땅콩, 새우'
    """
    shown = ", ".join(value) if isinstance(value, (list, tuple)) else value
    return f"{PROPOSAL_FIELDS.get(field_name, field_name)}: {shown}"


def pending_list(services: UIServices, session: UISession | None) -> View:
    sess, cid, lapsed = _who(services, session)
    if lapsed or not cid:
        return lapsed or View(pending=[])
    items = services.profiles.pending(cid)
    return View(pending=[(proposal_label(p.field, p.value), str(p.id)) for p in items])


def decide(services: UIServices, session: UISession | None, proposal_id: str | None, accept: bool) -> View:
    """Confirm or reject one learned fact; only the signed-in customer's own pending proposals."""
    sess, cid, lapsed = _who(services, session)
    if lapsed:
        return lapsed
    own = {str(p.id) for p in services.profiles.pending(cid)} if cid else set()
    if not cid or str(proposal_id or "") not in own:
        if cid and proposal_id:
            log.warning("proposal %r is not a pending proposal of the signed-in customer", proposal_id)
        return View(warning="확인할 항목을 골라 주세요.")
    try:
        (services.profiles.confirm if accept else services.profiles.reject)(int(proposal_id))
    except ProfileError as exc:
        return View(warning=exc.user_message)
    view = pending_list(services, sess)
    view.profile = profile_markdown(profile_dict(services.profiles, cid))
    view.info = "반영했어요." if accept else "반영하지 않았어요."
    return view


def _reauth(services: UIServices, cid: str, pin: str, client: str) -> str | None:
    """None when `pin` proves the customer again; else the Korean reason (lockout included)."""
    if not pin:
        return NEED_PIN_AGAIN
    check = services.gate.check_customer_pin(services.profiles, cid, pin, client)
    return None if check.ok else check.message


def export_profile(services: UIServices, session: UISession | None, pin: str = "", client: str = "") -> View:
    """The customer's data as a JSON file, after the PIN is entered again."""
    sess, cid, lapsed = _who(services, session)
    if lapsed or not cid:
        return lapsed or _need_sign_in(services)
    problem = _reauth(services, cid, pin, client)
    if problem:
        return View(warning=problem)
    data = services.profiles.export(cid)
    out = tempfile.NamedTemporaryFile("w", suffix=f"-{cid}.json", delete=False, encoding="utf-8")
    with out:
        json.dump(data, out, ensure_ascii=False, indent=2)
    log.info("profile exported for customer %r", cid)
    return View(export_file=out.name, info="내 정보를 파일로 내보냈어요.")


def delete_profile(services: UIServices, session: UISession | None, confirm: bool, pin: str = "",
                   client: str = "") -> View:
    """Delete everything about the customer: needs the confirmation box and the PIN again."""
    sess, cid, lapsed = _who(services, session)
    if lapsed or not cid:
        return lapsed or _need_sign_in(services)
    if not confirm:
        return View(warning="삭제하려면 '모든 정보를 삭제합니다'에 체크해 주세요.")
    problem = _reauth(services, cid, pin, client)
    if problem:
        return View(warning=problem)
    services.profiles.delete(cid)
    log.info("customer %r deleted their data", cid)
    return _signed_out(info="고객님의 모든 정보를 삭제했어요.")


# ---- kiosk idle + staff -----------------------------------------------------------------------
def idle_check(services: UIServices, session: UISession | None) -> View:
    """Kiosk timer tick: clear the screen after `kiosk_idle_s` without activity."""
    sess = _session(session)
    if services.clock() - sess.last_active < services.kiosk_idle_s:
        return View()
    return View(session=UISession(), history=[], products=[], cart=cart_html({}))


def staff_open(services: UIServices, session: UISession | None, pin: str, client: str = "") -> View:
    """The staff PIN opens the staff view and gives the session a staff token (pending returns)."""
    check = services.gate.check_staff_pin(pin or "", client)
    if not check.ok:
        return View(staff_visible=False, warning=check.message)
    from store.history import HistoryError
    from ui.orders import staff_session

    sess = staff_session(services, session)
    try:
        view = services.staff_view()
    except (HistoryError, FileNotFoundError) as exc:
        return View(session=sess, staff_visible=False, warning=getattr(
            exc, "user_message", "판매 이력이나 예측 파일이 없어요. 설정 명령을 먼저 실행해 주세요."))
    return View(session=sess, staff_visible=True, staff_plot=view["figure"], staff_table=view["reorder"],
                staff_alerts=view["alerts_markdown"])
