"""Data shapes shared inside `assistant/` (understanding, dialogue state, answers).

Pure dataclasses: no I/O. `DialogueState` round-trips through JSON (`to_dict` /
`from_dict`) so the CLI's `--session` and Gradio's `gr.State` can keep it per session.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypedDict, Union

# The longest message the assistant reads, in characters. The NLU cuts there; the service
# and the UI presenters should refuse or warn at the same number (import it from here).
from store.domain import MAX_MESSAGE_CHARS  # noqa: E402,F401  (re-export; one home: store.domain)

Intent = Literal[
    "search",            # product search / recommendation
    "product_question",  # question about / comparison of products
    "cart_add", "cart_remove", "cart_view", "checkout",
    "order_status", "reorder",  # "지난번이랑 똑같이"
    "policy",            # store policy question (배송, 반품, ...)
    "profile_update",    # "저 비건이에요", "땅콩 알레르기 있어요"
    "greeting", "out_of_scope",
]
INTENTS: tuple[str, ...] = (
    "search", "product_question", "cart_add", "cart_remove", "cart_view", "checkout",
    "order_status", "reorder", "policy", "profile_update", "greeting", "out_of_scope",
)


@dataclass(frozen=True)
class Reference:
    """A pointer to earlier results: "그거" (it), "두 번째 거" (index=1), "제일 싼 거" (cheapest)."""

    kind: Literal["it", "index", "cheapest", "most_expensive", "best_rated", "all"]
    index: int | None = None   # 0-based, for kind == "index"
    count: int = 1             # "제일 싼 거 2개" -> the 2 cheapest


@dataclass(frozen=True)
class Slots:
    keywords: tuple[str, ...] = ()        # product / category words ("간식", "우유")
    categories: tuple[str, ...] = ()      # catalog category paths or leaf names when recognised
    budget_min: int | None = None         # KRW, inclusive
    budget_max: int | None = None         # KRW, inclusive
    quantity: int | None = None           # units for cart actions ("2개 담아줘")
    count: int | None = None              # how many products to show ("3개 추천해줘")
    brands: tuple[str, ...] = ()
    avoid_brands: tuple[str, ...] = ()
    dietary_tags: tuple[str, ...] = ()    # catalog tags required (비건, 저당, ...)
    allergens: tuple[str, ...] = ()       # labeling-list names to exclude (땅콩, 우유, ...)
    urgency: str | None = None            # "새벽" / "당일" / free text ("내일 아침까지")
    reference: Reference | None = None
    sort: Literal["price_asc", "price_desc", "rating"] | None = None
    order_id: str | None = None
    policy_topic: str | None = None       # 배송 / 교환반품 / ... when recognised
    # Taken off the shopper's record ("우유 알레르기 다 나았어요, 지워 주세요"). Never read as
    # dropping an exclusion: the allergen also stays in `allergens` for the turn and the session,
    # and the profile change goes through the profile panel (consent), not the chat.
    remove_allergens: tuple[str, ...] = ()
    remove_dietary_tags: tuple[str, ...] = ()
    # Tags the shopper said that the named kind already carries on every product ("강아지 사료":
    # 반려견, "식물성 음료": 비건): the category filter keeps to them, so they are no further
    # condition; a search that lets the category go requires them again.
    kind_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understanding:
    intent: str
    slots: Slots
    confidence: float = 1.0
    clarify: str | None = None            # one Korean clarifying question, or None
    harmful: bool = False                 # out_of_scope because unsafe, not just off-topic
    injection: bool = False               # message tried to override instructions


@dataclass
class DialogueState:
    """Per-session memory. Never shared between sessions; held in gr.State or a session file."""

    session_id: str = ""
    history: list[dict] = field(default_factory=list)         # [{"role", "content"}]
    last_results: list[str] = field(default_factory=list)      # product ids shown last, in order
    last_intent: str | None = None
    constraints: dict = field(default_factory=dict)            # carried Slots fields (asdict form)
    pending_clarification: dict | None = None                  # {"intent", "slots", "missing"}
    cart: dict[str, int] = field(default_factory=dict)         # anonymous sessions only
    customer_id: str | None = None
    # Added by the dialogue module (assistant/nlu/dialogue.py); defaults keep old sessions loading.
    sticky: dict = field(default_factory=dict)                 # allergens / dietary_tags / avoid_brands said this session
    asked_last_turn: bool = False                              # the previous reply was a clarifying question
    # Orders (assistant/aftersales.py): the action waiting for "네", the order talked about.
    pending_action: dict | None = None
    last_order_id: str | None = None
    last_plan: dict | None = None                              # {"occasion", "items": [{"id", "qty", "role"}], "total"}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DialogueState":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# ---- what `Assistant.respond` yields and `Assistant.answer` returns -----------------------------
class Answer(TypedDict, total=False):
    """The answer of one turn (also the CLI's `--json` line). `error` alone (with `id`) when the
    message could not be taken; every other key is present on a normal turn unless noted."""

    id: str | None
    error: str                        # Korean, for the shopper (bad input, busy database)
    intent: str
    slots: dict[str, Any]             # asdict(Slots)
    reply: str                        # the validated text the shopper reads
    products: list[dict[str, Any]]    # product cards, in display order
    sources: list[dict[str, Any]]     # what the reply cites (products and policy passages)
    passages: dict[str, str]          # policy id -> quoted passage
    timings: dict[str, float]         # understanding_ms, retrieval_ms, first_token_ms, total_ms
    generator: str                    # "template" or the model backend that wrote the reply
    validation: str                   # "template" | "ok" | "repaired" | "fallback"
    llm_text: str                     # what the model wrote (when one ran)
    violations: list[str]             # what the validator objected to
    notice: str                       # a Korean status line (model unavailable, ...)
    actions: list[dict[str, Any]]     # cart/checkout/order actions taken this turn
    clarify: bool                     # the reply is one clarifying question
    plan: dict[str, Any]              # shopping plan: items, total, budget, left_out
    location: dict[str, Any]          # store zone/aisle for "어디 있어요?"
    suggestions: list[dict[str, Any]]  # time-of-day/season suggestions
    crosssell: list[Any]              # "함께 많이 사는 상품"
    order: dict[str, Any]             # an order the turn touched (status, slot, payment, refund)
    understanding: dict[str, Any]     # rules / model / merged readings


class StatusEvent(TypedDict):
    type: Literal["status"]
    text: str


class TokenEvent(TypedDict):
    type: Literal["token"]
    text: str


class DoneEvent(TypedDict):
    type: Literal["done"]
    answer: Answer


Event = Union[StatusEvent, TokenEvent, DoneEvent]
