"""store.domain is the one home of the facts that used to be written two or three times; these
are the cases where the copies disagreed."""

import pytest

from assistant.facts import won as facts_won
from assistant.grounding import Constraints, is_food, substitutes_for, violations
from assistant.nlu import InputError
from assistant.nlu.categories import is_food_category as nlu_is_food
from assistant.nlu.lexicon import ALLERGEN_SYNONYMS
from assistant.nlu.lexicon import ALLERGENS as NLU_ALLERGENS
from assistant.service import check_message
from profiles._base import category_keys as profile_keys
from retrieval.types import category_keys as retrieval_keys
from store import domain
from store._rules import ALLERGENS
from store.stock import substitutes as stock_substitutes
from ui.presenters import validate_message
from ui.presenters import won as ui_won


class P:
    def __init__(self, id, category, price, allergens=(), tags=(), sale_price=None, stock=5):
        self.id, self.category, self.price, self.sale_price = id, category, price, sale_price
        self.allergens, self.tags, self.stock, self.brand, self.delivery = tuple(allergens), tuple(tags), stock, "", "일반"
        self.rating, self.name = 4.0, id

    @property
    def effective_price(self):
        return self.sale_price if self.sale_price is not None else self.price


BABY = "유아동/이유식·아기간식/아기간식"


def test_baby_snacks_are_food_everywhere_so_a_profile_diet_applies():
    # grounding said "유아동 is not food"; the NLU said it is: a vegan profile was not enforced.
    assert domain.is_food_category(BABY) and nlu_is_food(BABY) and is_food(P("x", BABY, 1000))
    snack = P("x", BABY, 3000, allergens=("우유",))
    assert "profile_tags" in violations(snack, Constraints(profile_tags=("비건",)))
    diaper = P("d", "유아동/기저귀·물티슈/기저귀", 20000)
    assert not is_food(diaper) and violations(diaper, Constraints(profile_tags=("비건",))) == []


def test_one_allergen_list_and_families_expand_to_members():
    assert NLU_ALLERGENS is domain.ALLERGENS and ALLERGENS is domain.ALLERGENS
    assert set(ALLERGEN_SYNONYMS["견과류"]) == set(domain.expand_allergens(["견과류"])) == {"땅콩", "호두", "잣"}
    assert domain.expand_allergens(["갑각류", "밀가루"]) == ("밀", "게", "새우")


def test_money_format_is_the_same_in_replies_and_ui():
    assert facts_won(12900) == ui_won(12900) == domain.won(12900) == "12,900원"
    assert ui_won(None) == ""


def test_category_keys_one_rule():
    assert profile_keys("a/b/c") == domain.category_prefixes("a/b/c") == ["a", "a/b", "a/b/c"]
    assert retrieval_keys("a/b/c") == domain.category_keys("a/b/c") == ["a", "a/b", "a/b/c", "b", "c"]


def test_substitutes_one_price_rule_in_the_assistant_and_the_ledger():
    cat = {p.id: p for p in [P("o", "x/y/z", 3000), P("near", "x/y/z", 3300), P("gift", "x/y/z", 30000),
                             P("nuts", "x/y/z", 3100, allergens=("땅콩",))]}
    grounding_ids = [p.id for p in substitutes_for(cat["o"], cat)]
    ledger_ids = [p.id for p in stock_substitutes(cat["o"], cat, {pid: 5 for pid in cat})]
    # the 30,000원 gift box is no substitute for a 3,000원 snack; the peanut one is not safe
    assert grounding_ids == ledger_ids == ["near"]


@pytest.mark.parametrize("message", ["", "   ", None, "가" * (domain.MAX_MESSAGE_CHARS + 1)])
def test_message_limits_one_korean_text_in_ui_and_service(message):
    ui = validate_message(message)
    with pytest.raises(InputError) as err:
        check_message(message)
    assert ui == err.value.user_message == domain.message_problem(message)
