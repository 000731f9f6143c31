"""The worked examples in the NLU modules' docstrings stay true."""

import doctest
import importlib

import pytest

MODULES = ["assistant.nlu.numbers", "assistant.nlu.budget", "assistant.nlu.slots", "assistant.nlu.refs",
           "assistant.nlu.lexicon", "assistant.nlu.keywords", "assistant.nlu.categories", "assistant.nlu.parser",
           "assistant.nlu.dialogue", "assistant.nlu.understand"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
