"""One tab's events run one at a time; different tabs run side by side.

Without a model the chat lane is two wide (ui.layout.TEMPLATE_CHAT_CONCURRENCY), and the
buttons run up to eight at once. Gradio gives every event of a browser session the same
state object, so two events of one tab would change one dialogue state at once without
`ui.handlers.SESSION_LOCKS`.
"""

from __future__ import annotations

import gc
import socket
import threading
import time

import pytest

from ui.handlers import SessionLocks, UISession


def test_a_session_lock_serializes_one_session_and_goes_with_it():
    locks, a, b = SessionLocks(), UISession(), UISession()
    active, peak, mutex = {"a": 0, "b": 0}, {"a": 0, "b": 0, "all": 0}, threading.Lock()

    def work(name, sess):
        with locks.hold(sess):
            with mutex:
                active[name] += 1
                peak[name] = max(peak[name], active[name])
                peak["all"] = max(peak["all"], active["a"] + active["b"])
            time.sleep(0.05)
            with mutex:
                active[name] -= 1

    threads = [threading.Thread(target=work, args=(n, s)) for n, s in [("a", a), ("a", a), ("b", b), ("b", b)]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak["a"] == 1 and peak["b"] == 1      # one at a time within a session
    assert peak["all"] == 2                       # the two sessions overlapped
    with locks.hold(None):                        # a first event: no state, nothing to hold
        pass
    with locks.hold(a):
        with locks.hold(a):                       # re-entrant within one thread
            pass
    assert len(locks) == 2
    del a, b, threads
    gc.collect()
    assert len(locks) == 0


@pytest.mark.slow
def test_two_sends_from_one_tab_take_turns_two_tabs_do_not():
    from gradio_client import Client

    from ui.layout import build_blocks, chat_concurrency
    from ui.testing import small_shop

    shop = small_shop()
    assert chat_concurrency(shop) == 2
    respond, state = shop.assistant.respond, {"active": 0, "peak": 0}
    mutex = threading.Lock()

    def slow_respond(*args, **kwargs):
        with mutex:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        try:
            time.sleep(0.4)
            yield from respond(*args, **kwargs)
        finally:
            with mutex:
                state["active"] -= 1

    shop.assistant.respond = slow_respond
    demo = build_blocks(shop)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo.launch(server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        one, other = Client(url, verbose=False), Client(url, verbose=False)
        for c in (one, other):   # the session state exists from the sign-in on
            assert "님" in c.predict(*{one: ("C001", "1234"), other: ("C002", "5678")}[c], api_name="/ui_sign_in")[0]

        jobs = [one.submit("간식 추천해줘", [], api_name="/ui_send") for _ in range(2)]
        replies = [j.result(timeout=60)[0] for j in jobs]
        assert all(r and r[-1]["content"] for r in replies)
        assert state["peak"] == 1                 # same tab: one turn at a time

        jobs = [c.submit("간식 추천해줘", [], api_name="/ui_send") for c in (one, other)]
        [j.result(timeout=60) for j in jobs]
        assert state["peak"] == 2                 # two tabs: both lanes used
    finally:
        demo.close()
