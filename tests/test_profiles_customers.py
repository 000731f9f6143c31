"""Customer create/get/update: validation with Korean messages, change log, PIN hashing."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from profiles import AnonymousSession, CustomerExists, CustomerNotFound, ProfileStore, ValidationError
from profiles.validation import clean


@pytest.fixture
def store() -> ProfileStore:
    return ProfileStore(Database(memory=True))


def test_create_and_get_round_trip(store):
    created = store.add_customer("C001", "  김민지 ", age_band="30대", region="서울 마포구",
                           household_size=3, pets=["강아지"], allergies=["땅콩", "땅콩"],
                           dietary=["비건"], preferred_categories={"간식/과자": 0.7},
                           price_sensitivity="높음", monthly_budget=500_000)
    got = store.get("C001")
    assert got == created
    assert got.display_name == "김민지"
    assert got.allergies == ("땅콩",)
    assert got.price_sensitivity == "high"
    assert got.preferred_categories == {"간식/과자": 0.7}


@pytest.mark.parametrize("field,value", [
    ("age_band", "서른"), ("region", "서울 마포구 월드컵로 123"), ("household_size", 0),
    ("household_size", "많음"), ("monthly_budget", -1), ("price_sensitivity", "가끔"),
    ("preferred_brands", {"농심": 3}), ("allergies", 5), ("display_name", ""),
])
def test_invalid_values_raise_validation_error_with_korean_message(store, field, value):
    store.add_customer("C001", "김민지")
    with pytest.raises(ValidationError) as info:
        store.update("C001", {field: value})
    assert info.value.field == field
    assert any("\uac00" <= ch <= "\ud7a3" for ch in info.value.user_message)
    assert field in str(info.value)
    assert store.get("C001").updated_at == store.get("C001").created_at  # nothing written


def test_unknown_field_and_bad_ids(store):
    store.add_customer("C001", "김민지")
    with pytest.raises(ValidationError):
        store.update("C001", {"phone": "010-1234-5678"})
    with pytest.raises(ValidationError):
        store.add_customer("C 002", "이름")
    with pytest.raises(CustomerExists):
        store.add_customer("C001", "다른 사람")
    with pytest.raises(CustomerNotFound) as info:
        store.update("C404", {"region": "부산 해운대구"})
    assert "C404" in info.value.user_message
    with pytest.raises(AnonymousSession):
        store.update(None, {"region": "부산 해운대구"})


def test_update_logs_only_real_changes_with_source(store):
    store.add_customer("C001", "김민지", region="서울 마포구")
    store.update("C001", {"region": "서울 마포구", "household_size": 2}, source="customer")
    store.update("C001", {"allergies": ["새우"]}, source="dialogue")
    log = store.db.execute("SELECT field, source, new_value FROM change_log "
                           "WHERE customer_id = 'C001' ORDER BY id").fetchall()
    assert log == [("created", "customer", None), ("household_size", "customer", "2"),
                   ("allergies", "dialogue", '["새우"]')]
    newest = store.change_log("C001")[0]
    assert (newest.field, newest.old_value, newest.new_value, newest.source) == (
        "allergies", [], ["새우"], "dialogue")
    assert store.change_log(None) == []


def test_pin_is_stored_as_salted_hash_only(store):
    store.add_customer("C001", "김민지", pin="1234")
    store.add_customer("C002", "이서준", pin="1234")
    hashes = [r[0] for r in store.db.execute("SELECT pin_hash FROM customers ORDER BY id")]
    assert hashes[0] != hashes[1]  # salted
    dump = "\n".join(store.db.conn.iterdump())
    assert "'1234'" not in dump
    assert store.verify_pin("C001", "1234") is True
    assert store.verify_pin("C001", "4321") is False
    assert store.verify_pin("C404", "1234") is False
    with pytest.raises(ValidationError):
        store.set_pin("C001", "12ab")


def test_clean_normalizes_lists_and_korean_price_sensitivity():
    assert clean("dietary", "비건") == ("비건",)
    assert clean("pets", ["고양이", "강아지"]) == ("강아지", "고양이")
    assert clean("price_sensitivity", "보통") == "medium"
    assert clean("monthly_budget", "300000") == 300000
    assert clean("region", None) is None
