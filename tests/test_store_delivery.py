"""Delivery rules are written once (data/delivery/rules.json) and agree with the help center;
regions, fees, cut-offs and slot capacity follow them; 8 threads never oversell a slot."""

from __future__ import annotations

import re
import threading
from datetime import datetime

import pytest

from store.catalog import load_policies
from store.delivery import KST, load_rules, methods_for, next_slot, parse_region, serves, slots_from, surcharge
from store.payment import price_order

RULES = load_rules()


@pytest.fixture(scope="module")
def policies(repo_root):
    return {p.id: p.body for p in load_policies(repo_root / "data" / "policies")}


def _field(path: str):
    value = RULES
    for part in path.split("."):
        value = value[part]
    return value


def _renderings(value) -> list[str]:
    """How a rule value is written in the policy text."""
    if isinstance(value, list):   # weekdays
        return ["일요일"] if value == [6] else []
    if isinstance(value, str) and not value[:1].isdigit():   # closure words: 전후, 공휴일, 당일
        return [value]
    if isinstance(value, str) and ":" in value:   # "22:30" -> "10시 30분", "12:00" -> "12시"
        h, m = map(int, value.split(":"))
        h12 = h - 12 if h > 12 else h
        return [value, f"{h12}시 {m}분" if m else f"{h12}시"]
    n = int(value)
    out = [f"{n:,}원", f"{n}일", f"{n // 60}시간" if n % 60 == 0 else "", f"{n}분"]
    if n == 0:
        out.append("배송비가 없")
    if n == 90:
        out.append("3개월")
    if n == 4:
        out.append("2~4일")
    return [s for s in out if s]


def test_every_rule_number_is_in_the_policy_it_cites(policies):
    assert len(RULES["evidence"]) >= 30
    for ev in RULES["evidence"]:
        body = re.sub(r"\s+", " ", policies[ev["policy"]])
        assert ev["text"] in body, ev
        assert any(r in ev["text"] for r in _renderings(_field(ev["field"]))), ev
    covered = {ev["field"] for ev in RULES["evidence"]}
    for method, spec in RULES["methods"].items():
        for key in spec:
            if key not in ("label", "capacity", "transit_days"):
                assert f"methods.{method}.{key}" in covered, (method, key)


def test_region_lists_match_the_policy_text(policies):
    body = policies["배송-01"]
    dawn = re.search(r"새벽배송: (.+)", body).group(1)
    same = re.search(r"당일배송: (.+)", body).group(1)
    gyeonggi = lambda text: {x.strip() for x in re.split(r"[,·]", re.search(r"경기\(?([^)\n]+)", text).group(1))}
    assert gyeonggi(dawn) == set(RULES["regions"]["새벽"]["경기"])
    assert gyeonggi(same) == set(RULES["regions"]["당일"]["경기"])
    assert "서울 전 지역" in dawn and "서울 전 지역" in same
    assert all(f"{x}" in dawn for x in RULES["regions"]["새벽"]["인천"]["except"])
    stores = policies["픽업-02"]
    for store in RULES["stores"]:
        assert f"{store['name']}: {store['region']}" in stores
        assert f"{store['open']}~{store['close']}" in stores


@pytest.mark.parametrize("region,expected", [
    ("서울 마포구", ["새벽", "당일", "일반"]), ("경기 성남시 분당구", ["새벽", "당일", "일반"]),
    ("경기 수원시 영통구", ["새벽", "일반"]), ("인천 연수구", ["새벽", "일반"]),
    ("인천 강화군", ["일반"]), ("부산 해운대구", ["일반"]), ("제주 제주시", ["일반"]),
    ("경북 울릉군", ["일반"]),
])
def test_methods_for_customer_regions(region, expected):
    assert methods_for(parse_region(region)) == expected


def test_fees_threshold_and_surcharges():
    seoul, jeju, island = parse_region("서울 마포구"), parse_region("제주 서귀포시"), parse_region("경북 울릉군")
    assert surcharge(jeju) == ("제주", 3000) and surcharge(island) == ("도서산간", 5000)
    assert price_order(39_999, "일반", seoul).delivery_fee == 3000
    assert price_order(40_000, "일반", seoul).delivery_fee == 0
    assert price_order(39_000, "새벽", seoul).delivery_fee == 3500
    assert price_order(50_000, "일반", jeju).delivery_fee == 3000        # extra even above 40,000
    assert price_order(10_000, "일반", island).delivery_fee == 8000
    assert price_order(10_000, "픽업", parse_region("")).total == 10_000
    # coupons and points count against the threshold [배송-04]; one product + one delivery coupon
    coupons = [{"id": "A", "kind": "product", "amount": 3000, "min_order": 30000, "expires_at": "2099-01-01"},
               {"id": "B", "kind": "product", "amount": 5000, "min_order": 30000, "expires_at": "2099-01-01"},
               {"id": "D", "kind": "delivery", "amount": 3000, "min_order": 0, "expires_at": "2099-01-01"},
               {"id": "X", "kind": "product", "amount": 9000, "min_order": 0, "expires_at": "2020-01-01"}]
    q = price_order(42_000, "새벽", seoul, coupons=coupons, now="2026-11-26T10:00")
    assert q.coupon_discount == 5000 and q.delivery_coupon == 3000 and q.delivery_fee == 500
    assert q.total == 42_000 - 5000 + 500 and set(q.coupon_ids) == {"B", "D"}
    q = price_order(42_000, "일반", seoul, points=2_500, now="2026-11-26T10:00")
    assert q.points_used == 2_500 and q.delivery_fee == 3000 and q.total == 42_000 - 2_500 + 3000


@pytest.mark.parametrize("now,method,slot", [
    ("2026-11-26T22:59", "새벽", "2026-11-27/새벽"),
    ("2026-11-26T23:01", "새벽", "2026-11-28/새벽"),
    ("2026-11-26T11:59", "당일", "2026-11-26/당일"),
    ("2026-11-26T12:01", "당일", "2026-11-27/당일"),
    ("2026-11-28T13:00", "당일", "2026-11-30/당일"),      # Saturday afternoon -> Monday
    ("2026-11-29T09:00", "당일", "2026-11-30/당일"),      # no 당일배송 on Sunday
    ("2026-11-26T10:10", "픽업", "2026-11-26/픽업/마포/13"),   # ready 2 hours after ordering
    ("2026-11-26T20:30", "픽업", "2026-11-27/픽업/마포/10"),   # after closing: next morning
])
def test_cut_offs(now, method, slot):
    assert next_slot(method, now).id == slot


def test_slot_capacity_race_oversells_nothing(tmp_path):
    """8 threads, one connection each, race for the last place of a slot: exactly one wins,
    the others get SlotFull naming the next free slot; the stock of the losers is untouched."""
    from database import connect, open_database, run_write
    from store.delivery import SlotFull, set_capacity
    from store.lifecycle import place_order
    from store.stock import StockLedger

    class P:
        id, name, effective_price, category, storage = "P1", "세제", 45000, "세제·위생/세탁세제", "실온"

    path = tmp_path / "race.db"
    db = open_database(path)
    StockLedger(db).receive("P1", 20)
    now = datetime(2026, 11, 26, 20, 0, tzinfo=KST)
    slot = next_slot("새벽", now)
    run_write(db, lambda: set_capacity(db.conn, slot, 1))
    db.close()
    won, full, errors = [], [], []
    barrier = threading.Barrier(8)

    def buy(i):
        conn = connect(path)
        barrier.wait()
        try:
            won.append(place_order(conn, None, [("P1", 1)], {"P1": P()}, method="새벽",
                                   region_text="서울 마포구", slot_id=slot.id, now=now))
        except SlotFull as exc:
            full.append(exc)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(won) == 1 and len(full) == 7
    assert all(e.next_free is not None and e.next_free.id == "2026-11-28/새벽" for e in full)
    assert "마감" in full[0].user_message and "11/28" in full[0].user_message
    check = connect(path)
    assert check.execute("SELECT capacity, taken FROM delivery_slots WHERE id = ?", [slot.id]).fetchone() == (1, 1)
    assert StockLedger(check).level("P1") == 19 and StockLedger(check).reconcile().ok
    assert check.execute("SELECT COUNT(*) FROM orders").fetchone()[0] == 1


def test_slots_continue_after_a_full_one():
    slots = slots_from("새벽", "2026-11-26T10:00")
    assert [next(slots).id for _ in range(3)] == ["2026-11-27/새벽", "2026-11-28/새벽", "2026-11-29/새벽"]
    assert serves("새벽", parse_region("서울 종로구")) and not serves("당일", parse_region("경기 수원시 영통구"))


def test_holiday_dates_are_data_and_agree_with_the_store_calendar():
    from store.calendar_kr import HOLIDAYS

    known = {(name, main): days for name, main, days in HOLIDAYS}
    assert len(RULES["holidays"]) >= 4
    for h in RULES["holidays"]:
        main = datetime.fromisoformat(h["day"]).date()
        assert tuple(datetime.fromisoformat(d).date() for d in h["break"]) == known[(h["name"], main)]


def test_slots_skip_seollal_and_chuseok_with_a_korean_reason():
    from database import open_database
    from store.delivery import closure
    from store.lifecycle import plan_checkout

    # 2026 설날 is 2/17 (break 2/16~2/18): 새벽 rests 2/16~2/18 [배송-02], 당일 the whole break
    # [배송-03], pickup the main day only [픽업-02]; 일반 is not named in the policy and runs.
    now = datetime(2026, 2, 15, 10, 0, tzinfo=KST)
    assert next_slot("새벽", now).id == "2026-02-19/새벽"
    assert next_slot("당일", now).id == "2026-02-19/당일"       # 2/15 is a Sunday, 2/16~18 the break
    assert next_slot("일반", now).id == "2026-02-16/일반"
    pickups = [s.id for _, s in zip(range(40), slots_from("픽업", datetime(2026, 2, 16, 19, 0, tzinfo=KST)))]
    assert not any(s.startswith("2026-02-17/") for s in pickups) and pickups[1].startswith("2026-02-18/")
    assert closure("새벽", datetime(2026, 9, 25).date()) == "9/25(금)은(는) 추석이라 새벽배송을 쉬어요 [배송-02]."
    db = open_database(":memory:")
    plan = plan_checkout(db, None, 20_000, region_text="서울 마포구", method="새벽", now=now)
    assert plan.slot_id == "2026-02-19/새벽"
    assert "설날 전후라 새벽배송을 쉬어요 [배송-02]" in plan.reason and "2/19(목)" in plan.reason
    ordinary = plan_checkout(db, None, 20_000, region_text="서울 마포구", method="새벽",
                             now=datetime(2026, 3, 10, 10, 0, tzinfo=KST))
    assert ordinary.slot_id == "2026-03-11/새벽" and ordinary.reason == ""
