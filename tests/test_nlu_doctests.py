"""The worked examples in the NLU modules' docstrings stay true."""

import doctest
import importlib

import pytest

MODULES = ["assistant.korean_numbers", "assistant.nlu_budget", "assistant.nlu_slots", "assistant.nlu_refs",
           "assistant.nlu_lexicon", "assistant.nlu_keywords", "assistant.nlu_categories", "assistant.nlu",
           "assistant.dialogue"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
