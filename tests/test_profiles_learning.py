"""Dialogue proposals (facts only after confirmation), decaying signals, ranking features."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from profiles import ProfileStore, ProposalError, RankingFeatures, ValidationError
from profiles.learning import combine, decay, learned_scores, price_band

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
INFO = {"P1": ("간식/과자/스낵", "오리온"), "P2": ("간식/과자/쿠키", "오리온"),
        "P3": ("음료/우유", "서울우유")}


@pytest.fixture
def store() -> ProfileStore:
    s = ProfileStore(Database(memory=True), half_life_days=30)
    s.add_customer("C1", "김민지", allergies=["땅콩"])
    s.set_consent("C1", personalization=True)
    return s


def test_proposal_becomes_fact_only_after_confirm(store):
    pid = store.propose("C1", "dietary", "비건")
    assert store.get("C1").dietary == ()
    assert [p.value for p in store.pending("C1")] == [("비건",)]
    assert store.ranking_features("C1").required_tags == frozenset()
    confirmed = store.confirm(pid)
    assert confirmed.status == "confirmed"
    assert store.get("C1").dietary == ("비건",)
    assert store.pending("C1") == []
    log = store.db.execute("SELECT field, source FROM change_log WHERE field = 'dietary'").fetchall()
    assert log == [("dietary", "dialogue")]
    with pytest.raises(ProposalError):
        store.confirm(pid)


def test_list_proposals_add_to_existing_facts_and_reject_changes_nothing(store):
    keep = store.propose("C1", "allergies", "우유")
    drop = store.propose("C1", "household_size", 4)
    store.reject(drop)
    store.confirm(keep)
    customer = store.get("C1")
    assert customer.allergies == ("땅콩", "우유")
    assert customer.household_size is None
    with pytest.raises(ProposalError):
        store.reject(999)


def test_no_learning_from_dialogue_without_personalization_consent(store):
    store.add_customer("C2", "이서준")
    assert store.propose("C2", "allergies", "새우") is None
    assert store.db.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] == 0
    assert store.propose(None, "allergies", "새우") is None
    with pytest.raises(ValidationError):
        store.propose("C1", "allergies", 17)


def test_decay_and_combine_math():
    assert decay(0, 30) == 1.0
    assert decay(30, 30) == pytest.approx(0.5)
    assert decay(-5, 30) == 1.0  # future timestamps do not amplify
    assert combine(0.0, 0.0) == 0.0
    assert combine(0.5, 0.5) == 0.75 and combine(-1.0, 1.0) == -1.0  # stated dislike stays
    few, many = learned_scores({"a": 1.0}), learned_scores({"a": 100.0, "b": 50.0})
    assert 0 < few["a"] < many["a"] <= 1.0
    assert many["b"] == pytest.approx(many["a"] / 2)  # a long history does not saturate
    assert learned_scores({"a": -30.0})["a"] == pytest.approx(-1.0)
    assert price_band([1000, 2000], "low") is None


def test_purchase_signals_decay_with_time(store):
    store.record_order("C1", [("P1", 1, 1500)], created_at=NOW - timedelta(days=90),
                       product_info=INFO)
    store.record_order("C1", [("P3", 1, 2500)], created_at=NOW - timedelta(days=1),
                       product_info=INFO)
    f = store.ranking_features("C1", NOW)
    assert f.brand_affinity["서울우유"] > f.brand_affinity["오리온"] > 0
    later = store.ranking_features("C1", NOW + timedelta(days=120))
    assert later.brand_affinity.get("서울우유", 0) < f.brand_affinity["서울우유"]
    assert f.category_score("간식/과자/젤리") > 0  # shares the 간식/과자 prefix


def test_cancelled_and_returned_orders_teach_nothing(store):
    for status in ("주문취소", "반품완료"):
        store.record_order("C1", [("P1", 1, 1500)], status=status, created_at=NOW,
                           product_info=INFO)
    assert store.db.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 0
    assert len(store.orders("C1")) == 2


def test_negative_feedback_lowers_brand_affinity(store):
    store.record_order("C1", [("P1", 1, 1500)], created_at=NOW, product_info=INFO)
    before = store.ranking_features("C1", NOW).brand_affinity["오리온"]
    for _ in range(3):
        store.add_feedback("C1", "product", "P2", -1, product_info=INFO["P2"], now=NOW)
    after = store.ranking_features("C1", NOW).brand_affinity["오리온"]
    assert after < 0 < before
    assert store.db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 3


def test_ranking_features_shape_and_consent_gating(store):
    store.update("C1", {"dietary": ["비건", "저염식"], "preferred_brands": {"풀무원": 0.5},
                        "disliked_brands": ["농심"], "allergies": ["계란"]})
    for days in (1, 2, 3):
        store.record_order("C1", [("P1", 1, 2000), ("P3", 1, 3000)],
                           created_at=NOW - timedelta(days=days), product_info=INFO)
    f = store.ranking_features("C1", NOW, known_tags={"비건", "저당"})
    assert isinstance(f, RankingFeatures)
    assert f.required_tags == frozenset({"비건"})
    assert {"계란", "달걀", "난류"} <= f.exclude_allergens
    assert f.brand_score("농심") == -1.0 and f.brand_affinity["풀무원"] >= 0.5
    assert f.price_band is not None and f.price_band[0] < 2000 and f.price_band[1] >= 3000
    assert all(-1.0 <= v <= 1.0 for v in f.category_affinity.values())

    store.set_consent("C1", personalization=False)  # also forgets learned signals
    g = store.ranking_features("C1", NOW)
    assert g.brand_affinity == {} and g.category_affinity == {} and g.price_band is None
    assert g.exclude_allergens == f.exclude_allergens  # safety filters stay
    assert store.db.execute("SELECT COUNT(*) FROM signals").fetchone()[0] == 0


def test_dietary_rules_map_to_catalog_tags(store):
    store.update("C1", {"dietary": ["채식", "유당불내증", "키토"], "allergies": ["달걀"]})
    f = store.ranking_features("C1", NOW, known_tags={"비건", "락토프리", "저당"})
    assert f.required_tags == frozenset({"비건", "락토프리"})
    assert "알류" in f.exclude_allergens  # the catalog's labeling name for egg


def test_ranking_features_for_anonymous_and_unknown_are_empty(store):
    assert store.ranking_features(None).is_empty
    assert store.ranking_features("C404").is_empty
    assert store.record_signals(None, [("간식", "오리온")]) == 0


def test_ranking_features_memo_follows_every_write(tmp_path):
    """The memo (one search asks 4-5 times in a second) never serves a stale profile: a write
    through this connection, a commit by another connection, and an open transaction all miss."""
    import sqlite3

    path = tmp_path / "p.db"
    store = ProfileStore(Database(path), half_life_days=30)
    store.add_customer("C1", "김민지", allergies=["땅콩"])
    store.set_consent("C1", personalization=True)
    store.record_order("C1", [("P1", 1, 1500)], created_at=NOW, product_info=INFO)
    first = store.ranking_features("C1", NOW)
    again = store.ranking_features("C1", NOW)
    assert again == first and store._features_memo              # served from the memo
    again.brand_affinity["오리온"] = 9.0                          # a caller's dict is its own
    assert store.ranking_features("C1", NOW).brand_affinity["오리온"] == first.brand_affinity["오리온"]

    other = sqlite3.connect(path)                                  # another connection commits
    other.execute("INSERT INTO allergies (customer_id, allergen) VALUES ('C1', '우유')")
    other.commit()
    other.close()
    assert "우유" in store.ranking_features("C1", NOW).exclude_allergens

    store.db.conn.execute("BEGIN")                                 # inside an open transaction
    store.db.conn.execute("DELETE FROM allergies WHERE customer_id = 'C1' AND allergen = '우유'")
    assert "우유" not in store.ranking_features("C1", NOW).exclude_allergens
    store.db.conn.execute("ROLLBACK")
    assert "우유" in store.ranking_features("C1", NOW).exclude_allergens
