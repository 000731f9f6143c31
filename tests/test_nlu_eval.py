"""The labeled set and the accuracy command (python -m assistant.nlu.evaluate)."""

import json
from collections import Counter

from assistant.nlu.evaluate import DEFAULT_DATA, evaluate, load_rows, main
from assistant.types import INTENTS


def test_labeled_set_is_big_varied_and_valid():
    rows = load_rows(DEFAULT_DATA)
    assert len(rows) >= 150
    assert len({r["id"] for r in rows}) == len(rows)
    counts = Counter(r["intent"] for r in rows)
    assert set(counts) == set(INTENTS)
    assert all(n >= 5 for n in counts.values())


def test_accuracy_meets_target():
    result = evaluate(load_rows(DEFAULT_DATA))
    assert result["intent_accuracy"] >= 0.95
    for slot in ("budget", "allergens", "dietary_tags", "reference", "quantity", "safety"):
        assert result["slot_accuracy_active"][slot]["accuracy"] >= 0.9, slot


def test_json_output(capsys, tmp_path):
    data = tmp_path / "mini.jsonl"
    data.write_text(
        json.dumps({"id": "a", "text": "우유 2개 담아줘", "intent": "cart_add",
                    "slots": {"keywords": ["우유"], "quantity": 2}}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "b", "text": "안녕하세요", "intent": "search", "slots": {}}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    assert main(["--data", str(data), "--json", "--errors"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 2 and out["intent_accuracy"] == 0.5
    assert out["slot_accuracy"]["quantity"] == 1.0
    assert [e["id"] for e in out["errors"] if e["slot"] == "intent"] == ["b"]
