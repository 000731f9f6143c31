"""Data building: paraphrase forms, teacher answers, gates, leak-free split, CLI on a tiny store."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.prompting import draft_from_messages
from finetune.gates import assign_splits, balance, check_example, dedupe, prompt_context
from finetune.personas import PERSONAS
from finetune.teacher import BuiltinTeacher, josa
from finetune.templates import INTENT_WEIGHTS, make_spec, make_specs, paraphrase, won_forms

REPO = Path(__file__).resolve().parent.parent
LEAVES = [("신선식품", "두부·콩", "두부"), ("간식", "과자", "쿠키"), ("유제품", "우유", "흰우유"), ("간편식", "냉동", "만두")]


def make_rows(n_per_leaf: int = 6) -> list[dict]:
    rows = []
    for li, (top, mid, leaf) in enumerate(LEAVES):
        for j in range(n_per_leaf):
            k = li * n_per_leaf + j + 1
            price = 1500 + 700 * k
            vegan = top == "신선식품" or (top == "간식" and j % 2 == 0)
            rows.append({
                "id": f"P{k:04d}", "name": f"{['맑은', '고소한', '든든'][j % 3]} {leaf} {100 + 10 * j}g",
                "brand": ["한결", "바른"][j % 2], "category": f"{top}/{mid}/{leaf}", "price": price,
                "sale_price": price - 300 if j % 3 == 0 else None, "unit": f"{100 + 10 * j}g",
                "description": f"{leaf} 상품입니다. 매일 신선하게 준비합니다.",
                "tags": (["비건"] if vegan else []) + (["저당"] if j % 2 else []),
                "allergens": (["대두"] if leaf == "두부" else ["밀", "땅콩"] if leaf == "쿠키" and j % 2 else
                              ["우유"] if leaf == "흰우유" else ["밀", "돼지고기"] if leaf == "만두" else []),
                "origin": "국산", "storage": "냉장", "stock": 0 if j == 5 else 20 + j, "rating": round(3.5 + 0.25 * j, 2),
                "review_count": 10 * k, "delivery": ["새벽", "당일", "일반"][j % 3], "image": "assets/x.png"})
    return rows


POLICIES = {
    "shipping.md": "---\nid: 배송-01\ntitle: 배송 안내\ncategory: 배송\n---\n## 배송비\n3만원 이상 무료배송, 그 미만은 3,000원입니다.\n"
                   "## 새벽배송\n밤 11시까지 주문하면 다음날 아침 7시 전에 도착합니다.\n",
    "returns.md": "---\nid: 반품-01\ntitle: 교환·반품 안내\ncategory: 교환반품\n---\n## 반품 기한\n상품 수령 후 7일 이내에 신청할 수 있습니다.\n"
                  "## 반품 배송비\n단순 변심 반품은 왕복 배송비 6,000원을 고객이 부담합니다.\n",
}


@pytest.fixture()
def store_dir(tmp_path: Path) -> Path:
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "products.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_rows()), encoding="utf-8")
    (tmp_path / "policies").mkdir()
    for name, text in POLICIES.items():
        (tmp_path / "policies" / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture()
def sources(store_dir: Path):
    from finetune.data import load_sources

    return load_sources(store_dir)


def test_won_forms_cover_digits_commas_and_korean_units():
    assert won_forms(10000) == ["10000원", "10,000원", "1만원", "만원", "1만"]
    assert "1만 5천원" in won_forms(15000) and "삼천원" in won_forms(3000)
    assert won_forms(8500) == ["8500원", "8,500원"]


def test_josa_follows_final_consonant():
    assert josa("두부", "은는") == "두부는" and josa("우유팩", "이가") == "우유팩이"
    assert josa("두유 190ml", "은는") == "두유 190ml는" and josa("쿠키 130g", "이가") == "쿠키 130g이"
    assert josa("ABC", "을를") == "ABC을(를)"


def test_paraphrase_keeps_product_names():
    rng = random.Random(0)
    typo = next(p for p in PERSONAS if p.style == "typo")
    for _ in range(20):
        out = paraphrase("맑은 두부 100g 어떻게 주세요", typo, rng, keep=("맑은 두부 100g",))
        assert "맑은 두부 100g" in out


def test_every_intent_yields_grounded_teacher_answer(sources):
    products, policies = sources
    teacher = BuiltinTeacher(products, policies)
    names = tuple(p.name for p in products)
    rng = random.Random(3)
    for intent in INTENT_WEIGHTS:
        for persona in PERSONAS[:4]:
            spec = make_spec(intent, products, policies, persona, rng)
            turn = teacher.run(spec)[-1]
            assert turn.messages[0]["role"] == "system" and "<초안>" not in turn.messages[0]["content"]
            assert draft_from_messages(list(turn.messages)) == turn.facts["draft"]   # carried outside the text
            assert turn.messages[-1]["content"] == spec.turns[-1]
            assert check_example(list(turn.messages), turn.reply, turn.context_ids, names) == [], (intent, turn.reply)


def test_policy_answer_states_section_facts(sources):
    products, policies = sources
    teacher = BuiltinTeacher(products, policies)
    spec = make_spec("policy", products, policies, PERSONAS[0], random.Random(1))
    turn = teacher.run(spec)[-1]
    assert turn.required_facts and all(f.replace(".0", "") for f in turn.required_facts)
    assert f"[{spec.policy_ids[0]}]" in turn.reply


def test_grounding_gate_rejects_invented_price(sources):
    products, policies = sources
    turn = BuiltinTeacher(products, policies).run(make_spec("search", products, policies, PERSONAS[1], random.Random(2)))[-1]
    assert "<초안>" not in prompt_context(list(turn.messages))
    bad = turn.reply + " 지금 사면 999원이에요."
    assert "grounding" in check_example(list(turn.messages), bad, turn.context_ids, ())


def test_dedupe_balance_and_split_without_leaks():
    def row(q, reply, intent="search", keys=("P0001",), cat="간식"):
        return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": reply}],
                "meta": {"intent": intent, "category": cat, "split_keys": list(keys)}}

    rows = [row("비건 간식 추천해줘", "A"), row("비건 간식 추천해줘", "A"), row("비건 간식 추천해줘요", "A"),
            row("우유 추천", "B")]
    kept, exact, near = dedupe(rows)
    assert (len(kept), exact, near) == (2, 1, 1)
    many = [row(f"q{i}", f"r{i}", intent="policy" if i < 8 else "search", cat="-") for i in range(10)]
    assert sum(r["meta"]["intent"] == "policy" for r in balance(many, max_intent_share=0.3)) == 3
    spread = [row(f"q{i}", f"r{i}", keys=(f"P{i:04d}", f"P{i + 1:04d}")) for i in range(300)]
    splits = assign_splits(spread, seed=5)
    train_items = {k for r in splits["train"] for k in r["meta"]["split_keys"]}
    test_items = {k for r in splits["test"] for k in r["meta"]["split_keys"]}
    assert splits["test"] and splits["val"]
    from finetune.gates import item_split

    assert all(item_split(k, 5, 0.05, 0.06) == "train" for k in train_items)
    assert any(item_split(k, 5, 0.05, 0.06) == "test" for k in test_items)


def test_specs_rotate_personas_and_cover_intents(sources):
    products, policies = sources
    specs = make_specs(products, policies, random.Random(0), 200)
    assert len({s.persona for s in specs}) >= 8
    assert {s.intent for s in specs} == set(INTENT_WEIGHTS)


def test_cli_writes_splits_and_card(store_dir: Path, tmp_path: Path):
    out = tmp_path / "ds"
    res = subprocess.run([sys.executable, "-m", "finetune.data", "--out", str(out), "--limit", "120",
                          "--seed", "4", "--data-dir", str(store_dir), "--teacher", "builtin"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    total = sum(s["examples"] for s in card["splits"].values())
    assert 40 <= total <= 120 and card["splits"]["test"]["examples"] > 0
    first = json.loads((out / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["messages"][-1]["role"] == "assistant"
    assert {"persona", "intent", "context_ids", "generator", "created_at"} <= set(first["meta"])
    assert "# Jangbogi fine-tuning data card" in (out / "README.md").read_text(encoding="utf-8")


def test_assistant_teacher_records_the_apps_own_prompt():
    from assistant.prompting import draft_from_messages
    from assistant.service import Assistant
    from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies
    from finetune.teacher_app import AssistantTeacher, RecordingGenerator
    from finetune.templates import QuestionSpec

    catalog, policies = tiny_catalog(), tiny_policies()
    gen = RecordingGenerator()
    app = Assistant(catalog, policies, KeywordRetriever(catalog, policies), generator=gen)
    teacher = AssistantTeacher(catalog, policies, assistant=app, generator=gen)
    turn = teacher.run(QuestionSpec("mom", "policy", ("반품 기한 어떻게 돼요?",)))[-1]
    assert turn.intent == "policy" and "반품-01" in turn.context_ids
    assert draft_from_messages(list(turn.messages)) == turn.reply and "7" in turn.required_facts
    assert check_example(list(turn.messages), turn.reply, turn.context_ids, tuple(p.name for p in catalog)) == []
    with pytest.raises(LookupError):   # the app answers refusals without a model: no training prompt
        teacher.run(QuestionSpec("mom", "out_of_scope", ("오늘 날씨 어때?",)))
