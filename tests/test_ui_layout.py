"""The Blocks wiring over HTTP, without a browser: stable API names drive a whole session.

Launches `ui.layout.build_blocks` in-process on a free port with the small shop (ui.testing)
and drives it with gradio_client, which keeps one session (gr.State) per Client. This is
the contract load and fault tools build on: /ui_sign_in, /ui_add_to_cart, /ui_send,
/ui_checkout, /ui_staff_open, /sign_in and /ask.
"""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served():
    from ui.auth import Gate
    from ui.layout import build_blocks
    from ui.testing import small_shop

    shop = small_shop(gate=Gate.ephemeral("604152"),
                      staff_view=lambda: {"figure": None, "reorder": None, "alerts_markdown": "품절 임박 2개"})
    demo = build_blocks(shop)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_port=port, prevent_thread_lock=True, quiet=True)
    yield shop, f"http://127.0.0.1:{port}/"
    demo.close()


def test_a_signed_in_session_shops_and_checks_out(served):
    from gradio_client import Client

    shop, url = served
    c = Client(url, verbose=False)
    profile = c.predict("C001", "1234", api_name="/ui_sign_in")[0]
    assert "김하늘" in profile
    assert "비건 현미 누룽지칩" in c.predict("P0001", api_name="/ui_add_to_cart")
    history = c.predict("장바구니 보여줘", [], api_name="/ui_send")[0]
    assert "누룽지칩" in str(history[-1]["content"])
    cart, msg = c.predict(api_name="/ui_checkout")
    assert "주문이 완료됐어요" in msg and "비어 있어요" in cart
    order_id = msg.split("주문번호 ")[1].split(",")[0]
    assert [r["customer_id"] for r in shop.assistant.db.query("select customer_id from orders where id = ?",
                                                              [order_id])] == ["C001"]
    other = Client(url, verbose=False)           # another session: anonymous, empty cart
    assert "비어 있어요" in other.predict(api_name="/ui_checkout")[0]


def test_api_sign_in_token_and_bare_id(served):
    from gradio_client import Client

    _, url = served
    c = Client(url, verbose=False)
    assert c.predict("내 주문 어디쯤 왔어요?", "", "C002", api_name="/ask")["signed_in"] is False
    token = c.predict("C002", "5678", api_name="/sign_in")["token"]
    out = c.predict("내 주문 어디쯤 왔어요?", token, "", api_name="/ask")
    assert out["signed_in"] and "O-B-7" in out["reply"]
    assert "error" in c.predict("내 주문 어디쯤 왔어요?", token, "C001", api_name="/ask")


def test_staff_view_pin_over_http(served):
    from gradio_client import Client

    c = Client(served[1], verbose=False)
    assert c.predict("2580", api_name="/ui_staff_open")[-1] != "품절 임박 2개"
    assert c.predict("604152", api_name="/ui_staff_open")[-1] == "품절 임박 2개"
