"""Training plumbing without a model (parser, config, batching, masking), plus the CI smoke
path with the tiny prepared SmolLM2: data --limit 60 -> train --max-steps 2 -> evaluate --limit 10."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from finetune.evaluate import markdown, pick_rows, summarize
from finetune.modeling import IGNORE, choose_placement, collate, encode_row, mask_labels
from finetune.train import TrainConfig, batches, config_from_args, make_parser

REPO = Path(__file__).resolve().parent.parent


def test_parser_builds_a_typed_config():
    args = make_parser().parse_args(["--data", "d", "--model", "smollm2", "--out", "o", "--max-steps", "3",
                                     "--lr", "1e-4", "--resume", "--qlora", "off"])
    cfg = config_from_args(args)
    assert isinstance(cfg, TrainConfig) and cfg.max_steps == 3 and cfg.lr == 1e-4 and cfg.resume
    assert cfg.data == Path("d") and cfg.qlora == "off" and cfg.lora_r == 8
    assert "python -m finetune.train" in make_parser().format_help()


def test_placement_is_chosen_in_one_place():
    assert choose_placement("auto", cuda=False).nf4 is False
    assert choose_placement("auto", cuda=True).nf4 is True
    assert choose_placement("off", cuda=True).nf4 is False


def test_batches_are_seeded_and_cover_all_rows():
    rows = [{"input_ids": [0] * n, "labels": [0] * n} for n in range(1, 21)]
    first = [len(b) for b, _ in zip(batches(rows, 4, random.Random(1)), range(5))]
    again = [[len(r["input_ids"]) for r in b] for b, _ in zip(batches(rows, 4, random.Random(1)), range(5))]
    same = [[len(r["input_ids"]) for r in b] for b, _ in zip(batches(rows, 4, random.Random(1)), range(5))]
    assert first == [4] * 5 and again == same
    assert sorted(n for b in again for n in b) == list(range(1, 21))


class FakeTokenizer:
    """Char-level chat template: enough to check prompt masking."""

    pad_token_id = 0

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        text = "".join(f"<{m['role']}>{m['content']}</>" for m in messages)
        return text + ("<assistant>" if add_generation_prompt else "")

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}


def test_encode_row_masks_everything_but_the_reply():
    msgs = [{"role": "user", "content": "두부 얼마?"}, {"role": "assistant", "content": "2,500원 [P0001]"}]
    row = encode_row(FakeTokenizer(), msgs, max_len=200)
    target = "".join(chr(t) for t in row["labels"] if t != IGNORE)
    assert target == "2,500원 [P0001]</>"
    assert encode_row(FakeTokenizer(), msgs, max_len=10) is None
    assert mask_labels([1, 2, 3], 3) == [IGNORE] * 3
    batch = collate([row, encode_row(FakeTokenizer(), msgs[:1] + [{"role": "assistant", "content": "네"}], 200)], 0)
    assert batch["input_ids"].shape == batch["labels"].shape and int(batch["attention_mask"][1].sum()) < batch["input_ids"].shape[1]


def test_rows_are_picked_per_intent_and_summarized_with_intervals():
    rows = [{"meta": {"intent": i, "id": f"{i}{k}"}} for i in ("search", "policy", "cart_add") for k in range(5)]
    picked = pick_rows(rows, 4, seed=1)
    assert {r["meta"]["intent"] for r in picked} == {"search", "policy"} and len(picked) == 4
    assert pick_rows(rows, 4, seed=1) == picked and pick_rows(rows, 4, seed=2) != picked
    s = summarize([{"grounded": 1.0}, {"grounded": 0.0}, {"grounded": 1.0}, {"grounded": 1.0}], seed=0)
    assert s["grounded"] == 0.75 and s["grounded_ci95"][0] <= 0.75 <= s["grounded_ci95"][1]
    md = markdown({"config": {"model": "m", "split": "test", "adapter": "a", "seed": 1, "temperature": 0.0,
                              "max_new_tokens": 8}, "before": s, "after": s})
    assert "| groundedness | 0.75 | 0.75 |" in md


def test_question_kinds_split_product_questions_and_are_summarized_per_kind():
    from finetune.evaluate import by_kind, question_kind

    def row(intent, question, ids=("P1",)):
        return {"meta": {"intent": intent, "context_ids": list(ids)},
                "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": "-"}]}

    assert question_kind(row("product_question", "두부 칼로리 얼마야?")) == "product_unstated"
    assert question_kind(row("product_question", "두부 원산지 어디야?")) == "product_aspect"
    assert question_kind(row("product_question", "둘 중에 뭐가 싸?", ("P1", "P2"))) == "compare"
    assert question_kind(row("product_question", "두부 얼마야?")) == "product_detail"
    assert question_kind(row("policy", "반품 돼요?")) == "policy"
    kinds = by_kind([{"kind": "a", "grounded": 1.0, "latency_s": 3.0}, {"kind": "a", "grounded": 0.0},
                     {"kind": "b", "grounded": 1.0}], seed=0)
    assert kinds["a"]["n"] == 2 and kinds["a"]["grounded"] == 0.5 and "latency_s" not in kinds["a"]
    assert kinds["b"] == {"n": 1, "grounded": 1.0, "grounded_ci95": [1.0, 1.0]}
    md = markdown({"config": {"model": "m", "split": "test", "adapter": "a", "seed": 1, "temperature": 0.0,
                              "max_new_tokens": 8}, "before": {"n": 3, "by_kind": kinds}, "after": {"n": 3, "by_kind": kinds}})
    assert "| a | 2 | 0.5" in md


@pytest.mark.model
@pytest.mark.slow
def test_smoke_data_train_evaluate_on_smollm2(tmp_path: Path, cache_dir: Path):
    """The CI smoke path; needs `python -m assistant.models prepare --only smollm2`."""
    if not (cache_dir / "models" / "smollm2" / ".jangbogi-ok.json").exists():
        pytest.skip("smollm2 is not prepared")
    from tests.test_finetune_data import POLICIES, make_rows

    store = tmp_path / "store"
    (store / "catalog").mkdir(parents=True)
    (store / "catalog" / "products.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_rows()), encoding="utf-8")
    (store / "policies").mkdir()
    for name, text in POLICIES.items():
        (store / "policies" / name).write_text(text, encoding="utf-8")
    run = lambda *a: subprocess.run([sys.executable, "-m", *a], cwd=REPO, capture_output=True, text=True,  # noqa: E731
                                    timeout=1200)
    data, out, ev = tmp_path / "ds", tmp_path / "run", tmp_path / "eval"
    res = run("finetune.data", "--out", str(data), "--limit", "60", "--seed", "4", "--data-dir", str(store))
    assert res.returncode == 0, res.stderr[-2000:]
    res = run("finetune.train", "--data", str(data), "--model", "smollm2", "--out", str(out), "--max-steps", "2",
              "--batch-size", "1", "--max-len", "4096", "--val-limit", "1", "--eval-every", "1", "--qlora", "off",
              "--cache-dir", str(cache_dir))
    assert res.returncode == 0, res.stderr[-2000:]
    assert (out / "adapter" / "adapter_config.json").exists() and (out / "checkpoint" / "state.pt").exists()
    res = run("finetune.train", "--data", str(data), "--model", "smollm2", "--out", str(out), "--max-steps", "3",
              "--batch-size", "1", "--max-len", "4096", "--val-limit", "1", "--eval-every", "1", "--qlora", "off",
              "--cache-dir", str(cache_dir), "--resume")
    assert res.returncode == 0, res.stderr[-2000:]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["event"] == "step"] == [1, 2, 3]
    assert [r["resume_from"] for r in log if r["event"] == "start"] == [0, 2]
    assert json.loads((out / "adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] == "smollm2"
    res = run("finetune.evaluate", "--data", str(data), "--model", "smollm2", "--adapter", str(out / "adapter"),
              "--limit", "10", "--max-new-tokens", "6", "--json", "--out", str(ev), "--data-dir", str(store),
              "--cache-dir", str(cache_dir))
    assert res.returncode == 0, res.stderr[-2000:]
    result = json.loads((ev / "eval.json").read_text(encoding="utf-8"))
    assert result["before"]["n"] == result["after"]["n"] > 0
    assert 0.0 <= result["after"]["grounded"] <= 1.0 and "latency_s" in result["before"]
    assert sum(k["n"] for k in result["before"]["by_kind"].values()) == result["before"]["n"]
    res = run("finetune.bench", "--data", str(data), "--model", "smollm2", "--adapter", str(out / "adapter"),
              "--rows", "2", "--max-new-tokens", "6", "--json", "--cache-dir", str(cache_dir))
    assert res.returncode == 0, res.stderr[-2000:]
    bench = json.loads(res.stdout)
    assert bench["rows"] == 2 and bench["merged"]["tokens"] > 0 and bench["unmerged"]["tokens"] > 0
    assert bench["speedup_merged"] > 0 and 0 <= bench["identical_answers"] <= 2
    merged = tmp_path / "merged"
    res = run("finetune.export", "--model", "smollm2", "--adapter", str(out / "adapter"), "--out", str(merged),
              "--cache-dir", str(cache_dir))
    assert res.returncode == 0, res.stderr[-2000:]
    assert (merged / "config.json").exists() and list(merged.glob("*.safetensors"))
    assert not (merged / "adapter_config.json").exists()


def test_report_combines_seeds_with_noise(tmp_path: Path):
    from finetune.report import table

    folders = []
    for seed, before in ((1, 0.5), (2, 0.7)):
        f = tmp_path / f"s{seed}"
        f.mkdir()
        summary = lambda g: {"n": 2, "grounded": g, "citation_ok": g}  # noqa: E731
        (f / "eval.json").write_text(json.dumps({"config": {"seed": seed}, "before": summary(before),
                                                 "after": summary(1.0)}), encoding="utf-8")
        answers = [{"run": "before", "grounded": 1.0, "fact_recall": 0.0}, {"run": "after", "grounded": 1.0, "fact_recall": 1.0}]
        (f / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers), encoding="utf-8")
        folders.append(f)
    md = table(folders)
    assert "| groundedness | 0.500 | 0.700 | 1.000 | 1.000 | +0.400 | 0.200 |" in md
    assert "| grounded & complete | 0.000 | 0.000 | 1.000 | 1.000 | +1.000 | 0.000 |" in md
