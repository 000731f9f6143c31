"""The worked examples in the profiles docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["profiles.errors", "profiles.validation", "profiles.masking", "profiles.models",
           "profiles._base", "profiles.learning",
           "profiles.store"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0, f"{name} lost its examples"
