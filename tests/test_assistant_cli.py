"""`python -m assistant ask`: single, --json, --session persistence, --batch with bad lines."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.factory import Services
from assistant.service import Assistant
from assistant.testing import KeywordRetriever, tiny_catalog, tiny_policies
from assistant.types import Reference, Slots, Understanding

REPO = Path(__file__).resolve().parent.parent


def understand(message, state, lexicon):
    if "담아" in message:
        return Understanding("cart_add", Slots(quantity=1, reference=Reference("index", index=0)))
    return Understanding("search", Slots(keywords=(message.split()[0],)))


@pytest.fixture
def services():
    cat, pol = tiny_catalog(), tiny_policies()
    a = Assistant(cat, pol, KeywordRetriever(cat, pol), understand=understand)
    return Services(settings=None, assistant=a, catalog=cat, policies=pol, retriever=a.retriever)


def test_single_json_answer(services, capsys):
    assert main(["ask", "비건 간식", "--json", "--no-llm"], services=services) == 0
    ans = json.loads(capsys.readouterr().out)
    assert ans["intent"] == "search" and ans["products"] and ans["sources"]
    assert {"understanding_ms", "retrieval_ms", "first_token_ms", "total_ms"} == set(ans["timings"])


def test_plain_output_streams_reply_and_sources(services, capsys):
    assert main(["ask", "비건 간식", "--no-llm"], services=services) == 0
    out = capsys.readouterr().out
    assert "[P0" in out and "출처:" in out


def test_session_continues_across_calls(services, tmp_path, capsys):
    db = tmp_path / "var" / "j.db"
    args = ["--session", "demo", "--json", "--no-llm", "--db-path", str(db)]
    main(["ask", "비건 간식", *args], services=services)
    first = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "var" / "sessions" / "demo.json").read_text(encoding="utf-8"))
    assert saved["last_results"] == [p["id"] for p in first["products"]]
    main(["ask", "첫 번째 거 담아줘", *args], services=services)
    second = json.loads(capsys.readouterr().out)
    assert second["intent"] == "cart_add" and first["products"][0]["name"] in second["reply"]
    assert first["products"][0]["id"] in [x["id"] for x in second["sources"]]     # the id travels in sources
    saved = json.loads((tmp_path / "var" / "sessions" / "demo.json").read_text(encoding="utf-8"))
    assert saved["cart"] == {first["products"][0]["id"]: 1} and len(saved["history"]) == 4
    assert not list((tmp_path / "var" / "sessions").glob("*.tmp"))


def test_bad_session_name_is_a_korean_error(services, capsys):
    assert main(["ask", "간식", "--session", "../etc/x", "--json"], services=services) == 2
    assert "세션 이름" in json.loads(capsys.readouterr().out)["error"]


def test_batch_keeps_order_and_survives_bad_lines(services, tmp_path, capsys):
    batch = tmp_path / "in.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "a", "message": "비건 간식"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps(["list"]),
        json.dumps({"id": "c", "message": "   "}),
        json.dumps({"id": "d", "message": "두유", "customer": 7}),
        json.dumps({"id": "e", "message": "초콜릿"}, ensure_ascii=False),
        "",
    ]), encoding="utf-8")
    assert main(["ask", "--batch", str(batch), "--json", "--no-llm"], services=services) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "line-2", "b", "line-4", "c", "d", "e"]
    assert "reply" in rows[0] and "reply" in rows[-1]
    for r in rows[1:-1]:
        assert set(r) == {"id", "error"} and any("가" <= ch <= "힣" for ch in r["error"])


def test_message_and_batch_are_exclusive(services, capsys):
    assert main(["ask", "--json"], services=services) == 2


def test_help_is_instant_and_shows_an_example():
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--help"], cwd=REPO, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "--batch" in out.stdout and "python -m assistant ask" in out.stdout
