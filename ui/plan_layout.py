"""The Gradio side of `ui.plans`: the plan card with its "전부 담기" button, the kiosk's floor
plan, the "함께 많이 사는 상품" panel and the kiosk's first screen. Gradio is imported inside
the functions only (called from `ui.layout.build_blocks`)."""

from __future__ import annotations

from ui import plans

PLAN_FIELDS = ["plan", "plan_visible", "floor", "together"]
START_OVER = "처음으로"     # the kiosk quick button that returns to the first screen


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


def wire(c: dict, ui, on, demo, quick: list) -> None:
    """Events: 전부 담기; in kiosk mode the first screen on load (`demo.load`), the idle reset
    and the '처음으로' quick button (one of `quick`) back to it. `on` is `ui.layout._on`."""
    import gradio as gr

    on(c, c["plan_add_btn"].click, ui, plans.add_plan, ["history"], ["session", "cart", "history", "plan_visible"],
       name="add_plan")
    if ui.kiosk:
        reset = ["session", "history", "products", "cart", *PLAN_FIELDS]
        on(c, demo.load, ui, plans.first_screen, [], ["session", "history", "products"])
        on(c, gr.Timer(5).tick, ui, plans.idle_reset, [], reset)
        for button in quick:
            if button.value == START_OVER:
                on(c, button.click, ui, plans.start_over, [], reset)


def card_together(p: dict) -> list:
    """Inside a product card's group: its '함께 많이 사는 상품', one small 담기 button per
    suggestion (returned in the order of `p["together"]`; the caller wires them)."""
    import gradio as gr

    from ui.presenters import won

    if not p.get("together"):
        return []
    gr.Markdown(plans.TOGETHER, elem_classes="jb-card-together")
    return [gr.Button(f"+ {t['name']} · {won(t['price'])}", size="sm", elem_classes="jb-add-together")
            for t in p["together"]]
