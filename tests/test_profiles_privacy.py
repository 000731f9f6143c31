"""Privacy: export, hard delete everywhere, anonymous sessions, masking, retention, prompts."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from profiles import AnonymousSession, CustomerNotFound, PiiMaskingFilter, ProfileStore, mask_pii

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
TARGET, TARGET_NAME = "CUST-TARGET-7", "홍길동삭제대상"


def _fill(store: ProfileStore, customer_id: str, name: str) -> None:
    store.add_customer(customer_id, name, region="서울 마포구", allergies=["땅콩"], dietary=["비건"],
                 preferred_categories={"간식": 0.5}, preferred_brands={"오리온": 0.4},
                 disliked_brands=["농심"], pets=["고양이"], pin="2468", now=NOW)
    store.set_consent(customer_id, personalization=True, history=True, marketing=True, now=NOW)
    store.confirm(store.propose(customer_id, "allergies", "새우", now=NOW))
    store.propose(customer_id, "household_size", 3, now=NOW)
    store.cart_add(customer_id, "P0001", 2, now=NOW)
    store.record_order(customer_id, [("P0002", 1, 3000)], order_id=f"O-{customer_id}",
                       created_at=NOW, product_info={"P0002": ("간식/과자", "오리온")})
    store.record_turn(customer_id, f"S-{customer_id}", "user", "땅콩 없는 과자 있어요?", now=NOW)
    store.record_turn(customer_id, f"S-{customer_id}", "assistant", "네, 있어요.", now=NOW)
    store.add_feedback(customer_id, "answer", "A1", 1, comment="좋아요", now=NOW)
    store.add_feedback(customer_id, "product", "P0002", -1, product_info=("간식/과자", "오리온"),
                       now=NOW)


@pytest.fixture
def store() -> ProfileStore:
    s = ProfileStore(Database(memory=True), retention_days=30)
    _fill(s, TARGET, TARGET_NAME)
    _fill(s, "OTHER-1", "이웃고객")
    return s


def _cells_naming(db: Database, needles: tuple[str, ...]) -> list[tuple[str, str]]:
    """(table, column) of every text cell in every table that contains a needle."""
    hits = []
    for table in db.tables:
        for column in table.columns:
            for (value,) in db.execute(f'SELECT "{column.name}" FROM "{table.name}"'):
                if isinstance(value, str) and any(n in value for n in needles):
                    hits.append((table.name, column.name))
    return hits


def test_export_contains_everything_and_is_json(store):
    data = store.export(TARGET, now=NOW)
    text = json.dumps(data, ensure_ascii=False)
    assert data["customer"]["allergies"] == ["땅콩", "새우"]
    assert data["consent"]["history"] is True
    for table in ("customers", "allergies", "cart_items", "orders", "order_items", "chat_turns",
                  "chat_sessions", "feedback", "change_log", "proposals", "signals", "consents"):
        assert data["tables"][table], table
    assert "이웃고객" not in text and "OTHER-1" not in text
    assert "pin_hash" not in text and "2468" not in text
    assert {t["content"] for t in data["tables"]["chat_turns"]} == {"땅콩 없는 과자 있어요?",
                                                                     "네, 있어요."}


def test_delete_leaves_no_row_naming_the_customer(store):
    assert _cells_naming(store.db, (TARGET, TARGET_NAME))  # the scan does find them before
    counts = store.delete(TARGET)
    assert counts["customers"] == 1 and counts["chat_turns"] == 2 and counts["order_items"] == 1
    assert _cells_naming(store.db, (TARGET, TARGET_NAME)) == []
    assert store.db.execute("SELECT COUNT(*) FROM order_items").fetchone()[0] == 1  # other's
    assert store.get("OTHER-1").allergies == ("땅콩", "새우")
    with pytest.raises(CustomerNotFound):
        store.export(TARGET)
    with pytest.raises(CustomerNotFound):
        store.delete(TARGET)


def test_anonymous_session_writes_nothing():
    store = ProfileStore(Database(memory=True))

    def counts():
        return {t: store.db[t].count for t in store.db.table_names()}

    before = counts()
    assert store.propose(None, "allergies", "땅콩") is None
    assert store.record_turn(None, "S1", "user", "안녕하세요") is False
    assert store.add_feedback(None, "answer", "A1", 1) is None
    assert store.record_signals(None, [("간식", "오리온")]) == 0
    assert store.prompt_profile(None, "search") == {}
    for call in (lambda: store.cart_add(None, "P1"), lambda: store.set_consent(None, history=True),
                 lambda: store.add_customer(None, "익명"), lambda: store.export(None),
                 lambda: store.get(None)):
        with pytest.raises(AnonymousSession) as info:
            call()
        assert "저장하지 않아요" in info.value.user_message
    assert counts() == before


def test_turns_need_history_consent_and_expire(store):
    store.add_customer("C3", "최삼")
    assert store.record_turn("C3", "S3", "user", "안녕") is False  # no consent yet
    store.set_consent("C3", history=True, now=NOW)
    assert store.record_turn("C3", "S3", "user", "메일은 kim@example.com", now=NOW)
    assert store.history("C3")[0]["content"] == "메일은 k***@example.com"
    assert store.purge_expired(NOW + timedelta(days=29))["chat_turns"] == 0
    purged = store.purge_expired(NOW + timedelta(days=31))
    assert purged["chat_turns"] == 5 and purged["chat_sessions"] == 3
    assert store.history(TARGET) == []


def test_withdrawing_history_consent_deletes_conversations(store):
    consent = store.set_consent(TARGET, history=False, now=NOW + timedelta(hours=1))
    assert consent.history is False and consent.updated_at["history"].startswith("2026-11-21T13")
    assert store.history(TARGET) == []
    assert store.history("OTHER-1") != []


@pytest.mark.parametrize("raw,masked", [
    ("010-1234-5678", "010-****-5678"), ("01012345678", "010-****-5678"),
    ("전화 010 9876 5432 주세요", "전화 010-****-5432 주세요"),
    ("a.b+c@mail.example.com", "a***@mail.example.com"), ("주문 O-20261121 확인", "주문 O-20261121 확인"),
    ("", ""),
])
def test_mask_pii(raw, masked):
    assert mask_pii(raw) == masked


def test_logging_filter_masks_messages_and_args(caplog):
    logger = logging.getLogger("test_profiles_privacy.mask")
    logger.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("login by %s (%s)", "010-1234-5678", "lee@example.com")
    assert caplog.records[0].getMessage() == "login by 010-****-5678 (l***@example.com)"
    assert "1234" not in caplog.text


def test_prompt_profile_gives_only_what_the_intent_needs(store):
    search = store.prompt_profile(TARGET, "search")
    assert search == {"allergies": ["땅콩", "새우"], "dietary": ["비건"], "disliked_brands": ["농심"]}
    assert store.prompt_profile(TARGET, "policy") == {}
    assert store.prompt_profile(TARGET, "greeting") == {}
    text = json.dumps(store.prompt_profile(TARGET, "recommend"), ensure_ascii=False)
    assert TARGET_NAME not in text and "마포구" not in text and "고양이" in text


def test_deleted_customer_is_not_in_the_database_file_bytes(tmp_path):
    from profiles import connect

    path = tmp_path / "shop.db"
    store = ProfileStore(connect(path))
    _fill(store, TARGET, TARGET_NAME)
    _fill(store, "OTHER-1", "이웃고객")
    store.delete(TARGET)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("shop.db"))
    assert "이웃고객".encode() in raw  # the scan can see live rows
    assert TARGET.encode() not in raw and TARGET_NAME.encode() not in raw
