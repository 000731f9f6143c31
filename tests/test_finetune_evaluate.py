"""Evaluation scoring without a model: template copies, answer first, validator fall-backs,
and reusing an earlier base run."""

import json
import random

import pytest

from assistant.testing import tiny_catalog, tiny_policies
from finetune import FinetuneError
from finetune.evaluate import app_messages, reuse_before, score
from finetune.personas import PERSONAS
from finetune.teacher import BuiltinTeacher
from finetune.templates import make_spec

NAMES = tuple(p.name for p in tiny_catalog())


def _policy_row():
    teacher = BuiltinTeacher(tiny_catalog(), tiny_policies())
    spec = make_spec("policy", tiny_catalog(), tiny_policies(), PERSONAS[0], random.Random(1))
    turn = teacher.run(spec)[-1]
    return {"messages": list(turn.messages) + [{"role": "assistant", "content": turn.reply}],
            "meta": {"id": "ex1", "intent": turn.intent, "context_ids": list(turn.context_ids),
                     "facts": turn.facts, "history": [], "required_facts": list(turn.required_facts)}}


def test_score_tells_a_template_copy_from_a_composed_reply_and_counts_fallbacks():
    row = _policy_row()
    messages = app_messages(row, "facts")
    draft = row["meta"]["facts"]["draft"]
    copied = score(draft, row, messages, NAMES)
    composed = score(row["messages"][-1]["content"], row, messages, NAMES)
    invented = score("네, 99,999원 이상이면 돼요.", row, messages, NAMES)
    assert copied["differs_from_template"] == 0.0 and composed["differs_from_template"] == 1.0
    assert composed["fallback"] == 0.0 and composed["grounded"] == 1.0 and composed["answer_first"] == 1.0
    assert invented["grounded"] == 0.0 and invented["fallback"] == 1.0 and invented["shown_grounded"] == 1.0
    assert "<초안>" not in messages[0]["content"] and "<초안>" in app_messages(row, "draft")[0]["content"]


def test_reuse_before_refuses_other_rows(tmp_path):
    row = _policy_row()
    (tmp_path / "eval.json").write_text(json.dumps({"before": {"n": 1}}), encoding="utf-8")
    (tmp_path / "answers.jsonl").write_text(json.dumps({"id": "ex1", "run": "before", "answer": "x"}) + "\n"
                                            + json.dumps({"id": "ex1", "run": "after", "answer": "y"}) + "\n",
                                            encoding="utf-8")
    summary, answers = reuse_before(tmp_path, [row])
    assert summary == {"n": 1} and [a["answer"] for a in answers] == ["x"]
    with pytest.raises(FinetuneError):
        reuse_before(tmp_path, [dict(row, meta=dict(row["meta"], id="ex2"))])
