"""`python -m profiles`: seed (idempotent), list, show, export, delete, stats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from profiles.cli import main

REPO = Path(__file__).resolve().parent.parent
CUSTOMERS = [
    {"id": "C001", "name": "김민지", "age_band": "30대", "region": "서울 마포구",
     "household_size": 2, "pets": ["고양이"], "persona": "바쁜 직장인", "dietary": ["비건"],
     "allergies": ["땅콩"], "preferred_categories": {"간식": 0.6}, "preferred_brands": {"오리온": 0.3},
     "disliked_brands": ["농심"], "price_sensitivity": "high", "monthly_budget": 400000,
     "pin": "1234", "consent": {"personalization": True, "history": True, "marketing": False}},
    {"id": "C002", "name": "이서준", "age_band": "40대", "region": "부산 해운대구",
     "household_size": 4, "pets": [], "persona": "4인 가족", "dietary": [], "allergies": [],
     "preferred_categories": {}, "preferred_brands": {}, "disliked_brands": [],
     "price_sensitivity": "medium", "monthly_budget": 900000, "pin": "5678",
     "consent": {"personalization": False, "history": False, "marketing": True}},
]
ORDERS = [
    {"order_id": "O-1", "customer_id": "C001", "created_at": "2026-11-01T09:00:00+09:00",
     "items": [{"product_id": "P0001", "qty": 2, "unit_price": 1500}], "total": 3000,
     "status": "배송완료"},
    {"order_id": "O-2", "customer_id": "C002", "created_at": "2026-11-02T09:00:00+09:00",
     "items": [{"product_id": "P0002", "qty": 1, "unit_price": 4000}], "total": 4000,
     "status": "배송완료"},
]


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


@pytest.fixture
def seeded(tmp_path, capsys):
    data = tmp_path / "data"
    _jsonl(data / "customers" / "customers.jsonl", CUSTOMERS)
    _jsonl(data / "customers" / "orders.jsonl", ORDERS)
    _jsonl(data / "catalog" / "products.jsonl",
           [{"id": "P0001", "category": "간식/과자/스낵", "brand": "오리온"}])
    db = tmp_path / "var" / "t.db"
    assert main(["--db", str(db), "seed", "--data", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"customers_created": 2, "customers_updated": 0, "orders_added": 2,
                      "orders_skipped": 0}
    return db, data


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_seed_is_idempotent(seeded, capsys):
    db, data = seeded
    code, out, _ = _run(capsys, "--db", str(db), "seed", "--data", str(data))
    assert code == 0
    assert json.loads(out) == {"customers_created": 0, "customers_updated": 2, "orders_added": 0,
                               "orders_skipped": 2}
    code, out, _ = _run(capsys, "--db", str(db), "stats")
    stats = json.loads(out)
    assert stats["rows"]["customers"] == 2 and stats["rows"]["orders"] == 2
    # 2 created + 2 PINs + 6 consent flags + 1 purchase; the second seed logged nothing
    assert stats["rows"]["change_log"] == 2 + 2 + 6 + 1
    assert stats["journal_mode"] == "wal" and stats["schema_version"] == stats["latest_version"]


def test_list_show_export(seeded, capsys):
    db, _ = seeded
    code, out, _ = _run(capsys, "--db", str(db), "list", "--json")
    assert code == 0 and [c["id"] for c in json.loads(out)] == ["C001", "C002"]
    code, out, _ = _run(capsys, "--db", str(db), "show", "C001")
    shown = json.loads(out)
    assert shown["consent"]["personalization"] is True and shown["orders"] == 1
    assert shown["has_pin"] is True and "1234" not in out
    code, out, _ = _run(capsys, "--db", str(db), "export", "--customer", "C001")
    exported = json.loads(out)
    assert exported["tables"]["order_items"][0]["product_id"] == "P0001"
    assert exported["tables"]["signals"]  # seeded purchase became a signal (consented)


def test_delete_then_export_fails_clearly(seeded, capsys):
    db, _ = seeded
    code, _, err = _run(capsys, "--db", str(db), "delete", "--customer", "C001")
    assert code == 2 and "--yes" in err
    code, out, _ = _run(capsys, "--db", str(db), "delete", "--customer", "C001", "--yes")
    assert code == 0 and json.loads(out)["rows"]["customers"] == 1
    code, out, err = _run(capsys, "--db", str(db), "export", "--customer", "C001")
    assert code == 2 and out == ""
    assert "고객 정보를 찾을 수 없어요" in err and "customer not found: C001" in err


def test_module_entry_point_exit_code(seeded):
    db, _ = seeded
    done = subprocess.run([sys.executable, "-m", "profiles", "--db", str(db), "export",
                           "--customer", "NOPE"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2 and "NOPE" in done.stderr
    assert "example" in subprocess.run([sys.executable, "-m", "profiles", "seed", "--help"],
                                       cwd=REPO, capture_output=True, text=True).stdout


def test_missing_database_is_an_error_not_a_new_file(tmp_path, capsys):
    code, _, err = _run(capsys, "--db", str(tmp_path / "none.db"), "list")
    assert code == 2 and "database not found" in err
    assert not (tmp_path / "none.db").exists()


def test_seed_reports_bad_line(tmp_path, capsys):
    rows = [dict(CUSTOMERS[0]), dict(CUSTOMERS[1], household_size=-3)]
    _jsonl(tmp_path / "customers" / "customers.jsonl", rows)
    code, _, err = _run(capsys, "--db", str(tmp_path / "t.db"), "seed", "--data", str(tmp_path))
    assert code == 2 and "customers.jsonl:2" in err and "2번째 줄" in err


@pytest.mark.slow
def test_seed_real_demo_data(tmp_path, capsys):
    data = REPO / "data"
    if not (data / "customers" / "customers.jsonl").exists():
        pytest.skip("data/customers/customers.jsonl not generated yet")
    code, out, err = _run(capsys, "--db", str(tmp_path / "demo.db"), "seed", "--data", str(data))
    assert code == 0, err
    assert json.loads(out)["customers_created"] >= 1
    code, out, _ = _run(capsys, "--db", str(tmp_path / "demo.db"), "list", "--json")
    ids = [c["id"] for c in json.loads(out)]
    code, out, err = _run(capsys, "--db", str(tmp_path / "demo.db"), "export", "--customer", ids[0])
    exported = json.loads(out)
    assert code == 0 and exported["customer"]["id"] == ids[0]
    name = exported["customer"]["display_name"]
    code, _, err = _run(capsys, "--db", str(tmp_path / "demo.db"), "delete", "--customer", ids[0],
                        "--yes")
    assert code == 0, err
    from profiles import connect

    db = connect(tmp_path / "demo.db")
    for table in db.tables:
        for column in table.columns:
            hits = db.execute(f'SELECT COUNT(*) FROM "{table.name}" WHERE "{column.name}" = ? '
                              f'OR instr("{column.name}", ?) > 0', (ids[0], name)).fetchone()[0]
            assert hits == 0, (table.name, column.name)
