"""`build_demo(services, settings)`: the `gr.Blocks` of the app, wired to `ui.handlers`.

Each event calls one handler with the shared `UIServices`, the tab's `UISession` (gr.State)
and the inputs, and `_present` maps the returned `View` onto the event's outputs (unchanged
fields become `gr.skip()`, `info` / `warning` become toasts). Gradio is imported inside
the functions only, so importing this module stays cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ui import api, plan_layout, plans
from ui import handlers as h
from ui import orders as orders_ui
from ui.presenters import cart_html, product_card, profile_markdown, sources_html, won

if TYPE_CHECKING:
    import gradio as gr

    from assistant.settings import Settings

EXAMPLES = [
    "비건 간식 만원 이하로 3개 추천해줘",
    "땅콩 알레르기 있는 아이 간식 추천해줘",
    "그중에 제일 싼 거 2개 담아줘",
    "개봉한 것도 반품돼요?",
    "새벽배송 마감 시간이 언제예요?",
    "장바구니 보여줘",
]
KIOSK_QUICK = ["오늘의 할인 상품", "우유 어디 있어요?", "반품 규정 알려줘", "장바구니 보기", "처음으로"]
GEN_CONCURRENCY_ID = "generate"
# One generation at a time: the chat model is a single shared instance (CPU or one GPU).
GEN_CONCURRENCY_LIMIT = 1
# Without a model, two chat turns at once: a turn waits on SQLite, the embedder and the
# analyzers (which release the GIL) part of the time, and the second lane uses the other core
# (docs/benchmarks/load.md: 20 shoppers on a quiet machine, p95 1.03-1.07 s with one lane, 0.83-0.88 s
# with two).
TEMPLATE_CHAT_CONCURRENCY = 2
# Kiosk type is large: short tab labels keep every tab on screen (no overflow menu).
TABS = dict(products="추천 상품", cart="장바구니", sources="출처", profile="내 정보", staff="매장 관리")
KIOSK_TABS = dict(TABS, products="상품", profile="로그인", staff="직원")


def gpu_decorator(fn):
    """spaces.GPU when running on a Hugging Face ZeroGPU Space, a no-op otherwise."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return spaces.GPU(fn)


def _client(request) -> str:
    """The caller's address, the per-client key of the PIN attempt limit."""
    return str(getattr(getattr(request, "client", None), "host", "") or "")


def _present(view: h.View, fields: list[str]) -> tuple:
    """The output values of `fields` for one View; toasts shown as a side effect."""
    import gradio as gr

    if view.warning:
        gr.Warning(view.warning)
    if view.info:
        gr.Info(view.info)
    out = []
    for name in fields:
        value = getattr(view, name)
        if value is None:
            out.append(gr.skip())
        elif name in ("plan_visible", "floor"):
            out.append(plan_layout.present(view, name, value))
        elif name == "pending" or name.endswith("_pick"):
            out.append(gr.update(choices=value, value=None))
        elif name.endswith("_visible"):
            out.append(gr.update(visible=value))
        else:
            out.append(value)
    return tuple(out)


def template_only(ui: h.UIServices) -> bool:
    """No language model: every answer is composed from templates at once."""
    generator = getattr(ui.assistant, "generator", None)
    return bool(generator is not None and getattr(generator, "is_template", False))


def chat_concurrency(ui: h.UIServices) -> int:
    """Chat turns at once: one with a model (one shared instance); without one,
    JANGBOGI_TEMPLATE_CHAT_CONCURRENCY (default TEMPLATE_CHAT_CONCURRENCY)."""
    if not template_only(ui):
        return GEN_CONCURRENCY_LIMIT
    return max(1, int(os.environ.get("JANGBOGI_TEMPLATE_CHAT_CONCURRENCY", TEMPLATE_CHAT_CONCURRENCY)))


def plan_fields(ui: h.UIServices) -> list[str]:
    """The plan-panel outputs of chat and sign-in events. The floor plan is shown only in
    kiosk mode; elsewhere it is no output at all (every output a turn leaves unchanged is
    still a component rebuild in Gradio, and the image is the costliest of them)."""
    return [f for f in plan_layout.PLAN_FIELDS if ui.kiosk or f != "floor"]


def _chat_column(c: dict, kiosk: bool) -> list:
    """Chat, input row and examples (or kiosk quick buttons); returns the quick buttons."""
    import gradio as gr

    c["history"] = gr.Chatbot(label="대화", height=640 if kiosk else 520, elem_id="jb-chat",
                              feedback_options=("Like", "Dislike"))
    with gr.Row():
        c["box"] = gr.Textbox(placeholder="예) 비건 간식 만원 이하로 3개 추천해줘", show_label=False,
                              scale=5, elem_id="jb-input", max_lines=4)
        c["send_btn"] = gr.Button("보내기", variant="primary", scale=1, elem_id="jb-send")
        c["stop_btn"] = gr.Button("중지", scale=1, elem_id="jb-stop")
    plan_layout.panel(c)   # plan card + 전부 담기, kiosk floor plan, bought-together
    if kiosk:
        with gr.Row(elem_id="jb-quick"):
            return [gr.Button(q, size="lg") for q in KIOSK_QUICK]
    gr.Examples(EXAMPLES, inputs=c["box"], label="이렇게 물어보세요")
    return []


def _product_tab(c: dict, ui: h.UIServices) -> None:
    import gradio as gr

    @gr.render(inputs=c["products"])
    def render_cards(products: list[dict]):
        if not products:
            gr.Markdown("추천 상품이 여기에 보여요.", elem_classes="jb-muted")
            return
        for p in products:
            with gr.Group():
                gr.HTML(product_card(p, badge=p.get("badge", "")))
                btn = gr.Button(f"담기 · {won(p.get('sale_price') or p.get('price'))}", size="sm",
                                elem_classes="jb-add", interactive=p.get("stock", 0) > 0)
                add = [btn]
                add += plan_layout.card_together(p)   # its "함께 많이 사는 상품", each with its own 담기
                for button, pid in zip(add, [p["id"]] + [t["id"] for t in p.get("together") or []]):
                    button.click(lambda s, pid=pid: _add_card(ui, pid, s), [c["session"]],
                                 [c["session"], c["cart"], c["together"]], api_visibility="private")


def _add_card(ui: h.UIServices, pid: str, session):
    """A card's 담기 (or one of its suggestions'): one at a time per tab, like every event."""
    with h.SESSION_LOCKS.hold(session):
        return _present(plans.add_with_together(ui, session, pid, 1), ["session", "cart", "together"])


def _profile_tab(c: dict, ui: h.UIServices) -> None:
    import gradio as gr

    c["profile"] = gr.Markdown(profile_markdown(None), elem_id="jb-profile")
    with gr.Row():
        # Customer names are listed only in demo mode (demo data); otherwise id + PIN.
        choices = h.demo_customers(ui.profiles) if ui.demo else []
        label = "고객 번호 (데모 고객은 PIN 없이 선택 가능)" if ui.demo else "고객 번호"
        c["customer"] = gr.Dropdown(choices=choices, allow_custom_value=True, label=label, elem_id="jb-customer")
        c["pin"] = gr.Textbox(label="PIN", type="password", max_lines=1, elem_id="jb-pin")
    with gr.Row():
        c["login_btn"] = gr.Button("로그인", variant="primary", elem_id="jb-login")
        c["logout_btn"] = gr.Button("로그아웃", elem_id="jb-logout")
    c["allergies"] = gr.CheckboxGroup(h.ALLERGENS, label="알레르기 (상품 추천에서 제외)")
    c["consents"] = gr.CheckboxGroup(list(h.CONSENT_LABELS.values()), label="동의 항목")
    c["save_btn"] = gr.Button("저장")
    with gr.Accordion("대화에서 알게 된 정보 확인", open=False):
        c["pending"] = gr.Radio([], label="확인 대기 중")
        with gr.Row():
            c["refresh_btn"] = gr.Button("새로고침")
            c["yes_btn"] = gr.Button("맞아요, 반영", variant="primary")
            c["no_btn"] = gr.Button("아니에요")
    with gr.Accordion("내 정보 내보내기 / 삭제", open=False):
        c["reauth_pin"] = gr.Textbox(label="PIN 다시 입력 (본인 확인)", type="password", max_lines=1,
                                     elem_id="jb-reauth-pin")
        c["export_btn"] = gr.Button("JSON으로 내보내기", elem_id="jb-export")
        c["export_file"] = gr.File(label="내보낸 파일")
        c["confirm_delete"] = gr.Checkbox(label="모든 정보를 삭제합니다 (되돌릴 수 없어요)")
        c["delete_btn"] = gr.Button("회원 정보 삭제", variant="stop", elem_id="jb-delete")
    orders_ui.profile_orders(c)


def _staff_tab(c: dict) -> None:
    import gradio as gr

    c["staff_pin"] = gr.Textbox(label="직원 PIN", type="password", max_lines=1, elem_id="jb-staff-pin")
    c["staff_btn"] = gr.Button("열기", elem_id="jb-staff-open")
    with gr.Column(visible=False) as c["staff_visible"]:
        c["staff_alerts"] = gr.Markdown()
        c["staff_plot"] = gr.Plot(label="수요 예측", elem_id="jb-staff-plot")
        c["staff_table"] = gr.Dataframe(label="발주 제안", interactive=False)
    orders_ui.staff_returns_box(c)


def _components(ui: h.UIServices) -> tuple[dict, list]:
    """Lay out every component; returns them by View field / name, and the quick buttons."""
    import gradio as gr

    tabs = KIOSK_TABS if ui.kiosk else TABS
    c: dict[str, Any] = {"session": gr.State(h.UISession()), "products": gr.State([])}
    gr.Markdown("# 🛒 장보기\n무엇이든 한국어로 물어보세요. 가격·재고·정책은 매장 데이터에서 가져와요.",
                elem_id="jb-header")
    c["status"] = gr.Markdown("", elem_id="jb-status")
    with gr.Row():
        with gr.Column(scale=4 if ui.kiosk else 3):
            quick = _chat_column(c, ui.kiosk)
        with gr.Column(scale=3 if ui.kiosk else 2):
            with gr.Tab(tabs["products"]):
                _product_tab(c, ui)
            with gr.Tab(tabs["cart"]):
                c["cart"] = gr.HTML(cart_html({}), elem_id="jb-cart")
                c["checkout_btn"] = gr.Button("주문하기", variant="primary", elem_id="jb-checkout")
                c["checkout_msg"] = gr.Markdown("", elem_id="jb-checkout-msg")
                orders_ui.cart_confirm(c)
            with gr.Tab(tabs["sources"]):
                c["sources"] = gr.HTML(sources_html(None), elem_id="jb-sources")
            with gr.Tab(tabs["profile"]):
                _profile_tab(c, ui)
            with gr.Tab(tabs["staff"]):
                _staff_tab(c)
    return c, quick


def _on(c: dict, trigger, ui: h.UIServices, handler, inputs: list[str], fields: list[str],
        client: bool = False, name: str = "", **kwargs):
    """Wire `trigger` to `handler(ui, session, *inputs[, client])` with `fields` as outputs.
    `name` gives the event a stable, undocumented API name (`/ui_<name>`, for gradio_client)."""
    import gradio as gr

    if client:   # PIN checks: the caller's address is one key of the attempt limit
        def run(request, session, *values):
            with h.SESSION_LOCKS.hold(session):
                return _present(handler(ui, session, *values, _client(request)), fields)
        run.__annotations__ = {"request": gr.Request}
    else:
        def run(session, *values):
            with h.SESSION_LOCKS.hold(session):
                return _present(handler(ui, session, *values), fields)
    visibility = (dict(api_name=f"ui_{name}", api_visibility="undocumented") if name
                  else dict(api_visibility="private"))
    return trigger(run, [c["session"]] + [c[i] for i in inputs], [c[f] for f in fields], **visibility, **kwargs)


def _wire_chat(c: dict, ui: h.UIServices, quick: list) -> None:
    import gradio as gr

    fields = ["history", "box", "session", "products", "sources", "cart", "status", *plan_fields(ui)]
    # Without a language model every answer is composed at once (tens of ms): the turn's
    # views go out as one update, not the user's line first and the answer a moment later.
    # A plain function then, not a generator: Gradio streams a generator's results (one
    # thread hand-off per step and a progress message per update) even when there is one.
    # Turns of one tab run one at a time (h.SESSION_LOCKS); with a model the chat lane is one
    # wide anyway, and a lock held across a stream's yields would outlive a cancelled stream.
    if template_only(ui):
        @gpu_decorator
        def send(message: str, history: list, session):
            with h.SESSION_LOCKS.hold(session):
                return _present(h.merge_views(h.send(ui, session, message, history)), fields)
    else:
        @gpu_decorator
        def send(message: str, history: list, session):
            for view in h.send(ui, session, message, history):
                yield _present(view, fields)

    kw = dict(concurrency_id=GEN_CONCURRENCY_ID, concurrency_limit=chat_concurrency(ui))
    outputs, inputs = [c[f] for f in fields], [c["box"], c["history"], c["session"]]
    events = [c["box"].submit(send, inputs, outputs, api_name="ui_send", api_visibility="undocumented", **kw),
              c["send_btn"].click(send, inputs, outputs, api_visibility="private", **kw)]
    events += [b.click(send, [b, c["history"], c["session"]], outputs, api_visibility="private", **kw)
               for b in quick if b.value != plan_layout.START_OVER]   # 처음으로: ui.plan_layout.wire
    c["stop_btn"].click(None, None, None, cancels=events)

    def feedback(data: gr.LikeData, session):
        _present(h.feedback(ui, session, data.index, data.value, data.liked), [])

    # Gradio finds the like payload by its annotation; postponed (string) annotations hide it.
    feedback.__annotations__["data"] = gr.LikeData
    c["history"].like(feedback, [c["session"]], None, api_visibility="private")
    # Cards' own buttons are rendered per answer; this hidden pair gives API clients one stable add.
    c["add_pid"], c["add_btn"] = gr.Textbox(visible=False), gr.Button(visible=False)
    _on(c, c["add_btn"].click, ui, h.add_to_cart, ["add_pid"], ["session", "cart"], name="add_to_cart")


def _wire_profile(c: dict, ui: h.UIServices) -> None:
    profile_out = ["session", "profile", "allergies", "consents", "cart", "history", "products", "sources",
                   *plan_fields(ui)]
    _on(c, c["login_btn"].click, ui, h.sign_in, ["customer", "pin"], profile_out, client=True, name="sign_in")
    _on(c, c["logout_btn"].click, ui, h.sign_out, [], profile_out, name="sign_out")
    _on(c, c["save_btn"].click, ui, h.save_profile, ["allergies", "consents"], ["profile"], name="save_profile")
    _on(c, c["refresh_btn"].click, ui, h.pending_list, [], ["pending"])
    _on(c, c["yes_btn"].click, ui, lambda u, s, pid: h.decide(u, s, pid, True), ["pending"], ["pending", "profile"])
    _on(c, c["no_btn"].click, ui, lambda u, s, pid: h.decide(u, s, pid, False), ["pending"], ["pending", "profile"])
    _on(c, c["export_btn"].click, ui, h.export_profile, ["reauth_pin"], ["export_file"], client=True,
        name="export")
    _on(c, c["delete_btn"].click, ui, h.delete_profile, ["confirm_delete", "reauth_pin"], profile_out,
        client=True, name="delete")


def _register_api(ui: h.UIServices) -> None:
    """`/sign_in` (id + PIN -> token) and `/ask` (question [+ token]) for API clients."""
    import gradio as gr

    def sign_in(request, customer_id: str, pin: str) -> dict:
        """Sign in with customer id + PIN. Returns {"token", "customer_id", "expires_in"} or {"error"}."""
        return api.sign_in(ui, customer_id, pin, _client(request))

    def ask(request, message: str, token: str = "", customer_id: str = "") -> dict:
        """Ask Jangbogi one question; pass the /sign_in token for your cart and orders.
        A customer_id without a token is ignored (anonymous answer)."""
        return api.ask(ui, message, token, customer_id, _client(request))

    for fn in (sign_in, ask):
        fn.__annotations__["request"] = gr.Request
    gr.api(sign_in, api_name="sign_in", concurrency_limit=8)
    gr.api(ask, api_name="ask", concurrency_id=GEN_CONCURRENCY_ID, concurrency_limit=chat_concurrency(ui))


def build_demo(services: Any, settings: "Settings", gate=None) -> "gr.Blocks":
    """The app's Blocks for `services` (from `assistant.build_services`) and `settings`;
    `gate` (ui.auth.Gate) defaults to the one from the secrets in `settings.var_dir`."""
    return build_blocks(h.UIServices.from_services(services, settings, gate))


def headless_matplotlib() -> None:
    """Pick matplotlib's "agg" backend now, when the app starts.

    Gradio wraps every event in a backend switch (`MatplotlibBackendMananger`): with the
    backend still unresolved, the first event resolves it by importing pyplot, about a
    second of CPU on the server's event loop while the first shoppers wait
    (docs/benchmarks/load.md). A server draws no windows, so "agg" is what it would pick."""
    try:
        import matplotlib
    except ImportError:
        return
    chosen = getattr(matplotlib.rcParams, "_get_backend_or_none", lambda: "unknown")()
    if chosen is None:   # not chosen yet (no MPLBACKEND, no earlier matplotlib.use)
        matplotlib.use("agg")


def build_blocks(ui: h.UIServices) -> "gr.Blocks":
    """The Blocks around ready `UIServices` (tests launch it around `ui.testing.small_shop()`)."""
    import gradio as gr

    headless_matplotlib()
    with gr.Blocks(title="장보기 · Jangbogi") as demo:
        c, quick = _components(ui)
        _wire_chat(c, ui, quick)
        _wire_profile(c, ui)
        staff = _on(c, c["staff_btn"].click, ui, h.staff_open, ["staff_pin"],
                    ["session", "staff_visible", "staff_plot", "staff_table", "staff_alerts"], client=True,
                    name="staff_open")
        orders_ui.wire(c, ui, staff)   # checkout quote + confirm, the order list, pending returns
        plan_layout.wire(c, ui, _on, demo, quick)   # 전부 담기; kiosk first screen, idle reset, 처음으로
        _register_api(ui)
    # Gradio rebuilds its per-function analytics summary (a pandas DataFrame of up to 10,000
    # past events) after every event unless told otherwise; only its /monitoring page reads
    # it. Every 100 events keeps that page useful without a DataFrame per shopper click.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100")
    demo.queue(default_concurrency_limit=8)
    return demo
