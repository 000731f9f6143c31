"""Taking an allergy or a diet off the shopper's record: `Slots.remove_allergens` /
`remove_dietary_tags`, read by the parser, used by `Actions.propose_profile` (one place).
Messages are written for these tests."""

from assistant.actions import Actions
from assistant.nlu import parse
from assistant.nlu.dialogue import update_state
from assistant.types import DialogueState


class _Profiles:
    def __init__(self):
        self.proposals = []

    def propose(self, customer_id, field, value, source="dialogue"):
        self.proposals.append((customer_id, field, value))
        return len(self.proposals)


def test_recovered_allergy_is_a_removal_and_stays_excluded():
    for msg, name in (("게 알레르기 이제 다 나았어요", "게"),
                      ("저 호두 알레르기 완치됐어요 목록에서 지워 주세요", "호두"),
                      ("복숭아 알러지 이제 괜찮아요, 삭제해 주세요", "복숭아"),
                      ("고등어 이제 먹을 수 있어요", "고등어")):
        u = parse(msg)
        assert u.intent == "profile_update", msg
        assert u.slots.remove_allergens == (name,), msg
        assert name in u.slots.allergens, msg   # the turn still excludes it (the safe side)


def test_a_removal_clause_without_a_name_takes_the_clause_before():
    u = parse("오징어 알레르기 있었는데요, 이제 없어졌어요")
    assert u.slots.remove_allergens == ("오징어",)


def test_only_the_named_one_is_removed_beside_an_addition():
    u = parse("대두 알레르기 등록해 주시고, 우유는 이제 괜찮아요")
    assert u.slots.remove_allergens == ("우유",)
    assert set(u.slots.allergens) == {"대두", "우유"}


def test_diet_taken_off():
    u = parse("이제 저당 식단 그만할래요 프로필에서 지워 주세요")
    assert u.intent == "profile_update" and u.slots.remove_dietary_tags == ("저당",)
    assert "저당" not in u.slots.dietary_tags


def test_no_removal_without_recovery_or_a_record_word():
    for msg in ("장바구니에서 우유 삭제해 줘",       # a cart line
                "새우 알레르기 있어요",               # an addition
                "우유 이제 먹어도 되나요?",           # a question
                "땅콩 빼고 과자 추천해 주세요"):       # an exclusion
        u = parse(msg)
        assert not u.slots.remove_allergens and not u.slots.remove_dietary_tags, msg


def test_removal_never_drops_a_session_exclusion():
    state = DialogueState()
    state, _ = update_state(state, parse("저 게 알레르기 있어요"), "저 게 알레르기 있어요")
    msg = "게 알레르기 다 나았어요 지워 주세요"
    state, r = update_state(state, parse(msg), msg)
    assert "게" in state.sticky["allergens"] and "게" in r.slots.allergens


def test_actions_point_to_the_panel_and_add_only_the_rest():
    profiles, st = _Profiles(), DialogueState()
    a = Actions({}, profiles=profiles)
    off = "조개 알레르기 이제 다 나았어요 목록에서 지워 주세요"
    res = a.propose_profile(st, "C9", parse(off).slots)
    assert not res.ok and "해제" in res.message and res.data["remove_requested"] == ["조개류"]
    assert profiles.proposals == []
    both = "밀가루 알레르기 추가해 주세요, 우유는 이제 괜찮아요"
    res = a.propose_profile(st, "C9", parse(both).slots)
    assert res.ok and profiles.proposals == [("C9", "allergies", "밀")]
    assert res.data["remove_requested"] == ["우유"] and "해제" in res.message
    # the action reads the slots, not the message text
    plain = "새우 알레르기 있어요"
    res = a.propose_profile(st, "C9", parse(plain).slots)
    assert res.ok and ("C9", "allergies", "새우") in profiles.proposals


def test_cart_removal_by_ingredient_takes_out_every_line_that_holds_it():
    """"땅콩 들어간 건 장바구니에서 다 빼줘": the allergen is read (and kept for the session) and
    the cart loses every line that holds it, not the first line or the shown results."""
    from assistant.service import Assistant
    from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies

    cat, pol = tiny_catalog(), tiny_policies()
    a = Assistant(cat, pol, KeywordRetriever(cat, pol))
    msg = "장바구니에서 땅콩 들어간 건 싹 다 빼 주세요"
    u = parse(msg, DialogueState(last_intent="cart_add"))
    assert u.intent == "cart_remove" and u.slots.allergens == ("땅콩",)
    st = DialogueState(cart={"P0002": 1, "P0005": 2, "P0006": 1}, last_results=["P0006", "P0002"],
                       last_intent="cart_add")
    res = a._act(msg, u, st, None)
    assert res.ok and st.cart == {"P0006": 1}
    none = a._act(msg, u, DialogueState(cart={"P0006": 1}), None)
    assert not none.ok and "땅콩" in none.message
