"""The Gradio side of `ui.plans`: the plan card with its "전부 담기" button, the kiosk's floor
plan, the "함께 많이 사는 상품" panel and the kiosk's first screen. Gradio is imported inside
the functions only (called from `ui.layout.build_blocks`)."""

from __future__ import annotations

from ui import plans

PLAN_FIELDS = ["plan", "plan_visible", "floor", "together"]


def panel(c: dict) -> None:
    """Under the chat: plan card + 전부 담기 (hidden until a plan), floor plan (hidden until a
    kiosk location answer), and the bought-together panel."""
    import gradio as gr

    with gr.Column(visible=False, elem_id="jb-plan") as c["plan_visible"]:
        c["plan"] = gr.HTML("", elem_id="jb-plan-card")
        c["plan_add_btn"] = gr.Button("전부 담기", variant="primary", elem_id="jb-plan-add")
    c["floor"] = gr.Image(label="매장 안내도", visible=False, interactive=False, elem_id="jb-floor",
                          buttons=[], height=520, format="png")   # png: sharp labels, exact pixels
    c["together"] = gr.HTML("", elem_id="jb-together")


def present(view, name: str, value):
    """The output value of the fields this module adds (see `ui.layout._present`); None
    when `name` is not one of them."""
    import gradio as gr

    if name == "plan_visible":
        return gr.update(visible=value)
    if name == "floor":
        return gr.update(value=value.get("image"), label=value.get("label") or "매장 안내도", visible=bool(value))
    return None


def wire(c: dict, ui, on, demo) -> None:
    """Events: 전부 담기; in kiosk mode the first screen on load (`demo.load`) and the idle
    reset to it. `on` is `ui.layout._on`."""
    import gradio as gr

    on(c, c["plan_add_btn"].click, ui, plans.add_plan, ["history"], ["session", "cart", "history", "plan_visible"],
       name="add_plan")
    if ui.kiosk:
        on(c, demo.load, ui, plans.first_screen, [], ["session", "history", "products"])
        on(c, gr.Timer(5).tick, ui, plans.idle_reset, [],
           ["session", "history", "products", "cart", "plan", "plan_visible", "floor", "together"])


def card_together(p: dict) -> None:
    """Inside a product card's group: its '함께 많이 사는 상품' line, when it has one."""
    import gradio as gr

    if p.get("together"):
        gr.HTML(plans.together_html(p["together"]), elem_classes="jb-card-together")
