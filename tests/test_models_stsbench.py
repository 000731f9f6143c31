"""Spearman helper and KLUE-STS loader of `python -m assistant.models stsbench`; module doctests."""

from __future__ import annotations

import doctest
import importlib
import json

import pytest

from assistant.models.stsbench import load_pairs, rankdata, spearman


def test_rankdata_averages_ties_and_spearman_matches_hand_values():
    assert rankdata([3.0, 1.0, 2.0, 2.0]).tolist() == [4.0, 1.0, 2.5, 2.5]
    assert rankdata([]).tolist() == []
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(4.5 / (4.5 * 5) ** 0.5)


def test_load_pairs_reads_klue_shape(tmp_path):
    rows = [{"sentence1": "배송 언제 와요?", "sentence2": "언제 도착하나요?", "labels": {"label": 4.2}},
            {"sentence1": "우유", "sentence2": "반품 규정", "labels": {"label": 0}}]
    p = tmp_path / "dev.json"
    p.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    s1, s2, gold = load_pairs(p)
    assert s1 == ["배송 언제 와요?", "우유"] and s2[1] == "반품 규정" and gold == [4.2, 0.0]
    assert load_pairs(p, limit=1)[2] == [4.2]


@pytest.mark.parametrize("module", ["e5format", "registry", "marker", "e5convert", "stsbench", ""])
def test_module_doctests(module):
    mod = importlib.import_module("assistant.models" + (f".{module}" if module else ""))
    result = doctest.testmod(mod)
    assert result.failed == 0 and result.attempted > 0
