"""Delivery rules, regions, fees and slots, read from `data/delivery/rules.json`.

The numbers of the help center (새벽배송 until 23:00 [배송-02], 당일배송 until 12:00 [배송-03],
3,000/3,500원 under 40,000원 [배송-04], 제주·도서산간 extra [배송-05], cancel and change
deadlines [주문-01, 배송-07]) are written once in that file; `tests/test_store_delivery.py`
checks each against the policy text. Times are Korean time (KST).

- `parse_region("경기 성남시 분당구")` -> `Region("경기", "성남", "경기 성남시 분당구")`.
- `methods_for(region)`: the methods the region gets, fastest first.
- `next_slot(method, now)`: the slot an order placed at `now` goes into (cut-offs applied);
  `take_slot(conn, slot)` books one place inside the caller's transaction and raises
  `SlotFull` (with the next free slot) at capacity.
- `delivery_fee(method, region, basis)`: the fee for a basis amount (after coupons/points).
- `closure(method, day)`: why a method rests on a 설날/추석 day (the dates are data), so
  slots skip it and `closures_before` says why the first slot is later.

Example:
    >>> now = datetime(2026, 11, 26, 22, 0, tzinfo=KST)
    >>> next_slot("새벽", now).id, next_slot("새벽", now + timedelta(hours=2)).id
    ('2026-11-27/새벽', '2026-11-28/새벽')
    >>> delivery_fee("새벽", parse_region("서울 마포구"), 39_000), delivery_fee("일반", parse_region("제주 제주시"), 45_000)
    (3500, 3000)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator

KST = timezone(timedelta(hours=9), "KST")
RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "delivery" / "rules.json"
METHODS = ("새벽", "당일", "일반", "픽업")
WEEKDAYS_KO = "월화수목금토일"


@lru_cache(maxsize=4)
def load_rules(path: str | Path = RULES_PATH) -> dict:
    """The rules file as a dict (cached; the file is data shipped with the code)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def kst(moment: datetime | str | None = None) -> datetime:
    """`moment` in Korean time; naive datetimes are taken as KST, None is the real clock."""
    if moment is None:
        return datetime.now(KST)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=KST) if moment.tzinfo is None else moment.astimezone(KST)


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def _at(day: date, hm: str | time) -> datetime:
    return datetime.combine(day, hm if isinstance(hm, time) else _hm(hm), tzinfo=KST)


def clock_ko(moment: datetime) -> str:
    """"11/27(금) 07:00" in Korean time."""
    m = kst(moment)
    return f"{m.month}/{m.day}({WEEKDAYS_KO[m.weekday()]}) {m:%H:%M}"


def day_ko(day: date) -> str:
    return f"{day.month}/{day.day}({WEEKDAYS_KO[day.weekday()]})"


# ---- regions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Region:
    sido: str           # 서울, 경기, 인천, 제주, ...
    city: str           # 성남 (시/군/구 without its suffix), 마포, 강화군 for 군
    text: str

    @property
    def known(self) -> bool:
        return bool(self.sido)


def parse_region(text: str | None) -> Region:
    """Split a customer's 시/구 ("서울 마포구", "경기 성남시 분당구") into its parts."""
    parts = (text or "").split()
    if not parts:
        return Region("", "", "")
    sido = parts[0].removesuffix("특별시").removesuffix("광역시").removesuffix("특별자치도")
    sido = sido.removesuffix("도") if sido.endswith(("경기도",)) else sido
    city = parts[1] if len(parts) > 1 else ""
    if city.endswith(("시", "구")) and len(city) > 2:
        city = city[:-1]
    return Region(sido, city, " ".join(parts))


def surcharge(region: Region, rules: dict | None = None) -> tuple[str, int]:
    """("제주", 3000), ("도서산간", 5000) or ("", 0) [배송-04, 배송-05]."""
    rules = rules or load_rules()
    if region.sido == "제주":
        return "제주", int(rules["extra_fee"]["제주"])
    if any(region.text.startswith(area) for area in rules["remote_areas"]):
        return "도서산간", int(rules["extra_fee"]["도서산간"])
    return "", 0


def serves(method: str, region: Region, rules: dict | None = None) -> bool:
    """True when `method` reaches `region` [배송-01]; 제주·도서산간 get 일반배송 only [배송-05]."""
    rules = rules or load_rules()
    area = rules["regions"][method]
    if area == "*":
        return True
    if not region.known or surcharge(region, rules)[1]:
        return False
    rule = area.get(region.sido)
    if rule is None:
        return False
    if rule == "*":
        return True
    if isinstance(rule, dict):
        raw_city = region.text.split()[1] if len(region.text.split()) > 1 else ""
        return raw_city not in rule.get("except", [])
    return region.city in rule


def methods_for(region: Region, rules: dict | None = None) -> list[str]:
    """Delivery methods for the region, fastest first (pickup not included)."""
    return [m for m in ("새벽", "당일", "일반") if serves(m, region, rules)]


def delivery_fee(method: str, region: Region, basis: int, rules: dict | None = None) -> int:
    """Fee of one order: the method's fee unless `basis` (what is paid for the items after
    coupons and points) reaches the free threshold, plus the 제주·도서산간 extra, which is
    charged even above the threshold [배송-04]. Pickup costs nothing [픽업-01]."""
    rules = rules or load_rules()
    if method == "픽업":
        return 0
    base = 0 if basis >= rules["free_delivery_threshold"] else int(rules["methods"][method]["fee"])
    return base + surcharge(region, rules)[1]


# ---- holiday closures -------------------------------------------------------------------
def _josa_ira(word: str) -> str:
    """"설날" -> "설날이라", "연휴" -> "연휴라" (the copula after a final consonant or not)."""
    last = word[-1] if word else ""
    has_final = "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0
    return word + ("이라" if has_final else "라")


def closure(method: str, day: date, rules: dict | None = None) -> str | None:
    """The Korean reason `method` does not run on `day` because of 설날/추석, or None.
    Which days each method rests is data (`closures`, `holidays` in the rules file):
    새벽 the main day and the days around it [배송-02], 당일 every day of the official
    break [배송-03], 픽업 the main day [픽업-02].

        >>> closure("새벽", date(2026, 2, 16)), closure("일반", date(2026, 2, 17))
        ('2/16(월)은(는) 설날 전후라 새벽배송을 쉬어요 [배송-02].', None)
    """
    rules = rules or load_rules()
    spec = rules.get("closures", {}).get(method)
    if not spec:
        return None
    for holiday in rules.get("holidays", []):
        main = date.fromisoformat(holiday["day"])
        if spec["days"] == "당일":
            hit, when = day == main, holiday["name"]
        elif spec["days"] == "전후":
            hit = abs((day - main).days) <= 1
            when = holiday["name"] if day == main else f"{holiday['name']} 전후"
        elif spec["days"] == "공휴일":
            hit, when = day.isoformat() in holiday["break"], f"{holiday['name']} 연휴"
        else:
            raise ValueError(f"unknown closure kind {spec['days']!r} for {method}")
        if hit:
            label = rules["methods"][method]["label"]
            return f"{day_ko(day)}은(는) {_josa_ira(when)} {label}을 쉬어요 [{spec['policy']}]."
    return None


def closures_before(method: str, now: datetime | str | None, first: "Slot",
                    rules: dict | None = None) -> list[str]:
    """Why the first slot of `method` for an order at `now` is later than usual: the
    closure reason of every day from today up to the slot's day (empty when none)."""
    now = kst(now)
    out, day = [], now.date()
    while day < first.day:
        reason = closure(method, day, rules)
        if reason:
            out.append(reason)
        day += timedelta(days=1)
    return out


# ---- slots ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    id: str                 # "2026-11-27/새벽", "2026-11-26/픽업/마포/15"
    method: str
    day: date               # delivery (or pickup) day
    start: datetime
    end: datetime
    capacity: int
    store: str = ""         # pickup store id
    schedule: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        label = load_rules()["methods"][self.method]["label"]
        if self.method == "새벽":
            return f"{day_ko(self.day)} 새벽배송 (아침 {self.end:%H:%M} 전 도착)"
        if self.method == "당일":
            return f"{day_ko(self.day)} 당일배송 (밤 {self.end:%H:%M}까지 도착)"
        if self.method == "픽업":
            name = next(s["name"] for s in load_rules()["stores"] if s["id"] == self.store)
            return f"{day_ko(self.day)} {self.start:%H:%M}~{self.end:%H:%M} {name} 매장 픽업"
        return f"{label} ({day_ko(self.day)} 출고, {day_ko(self.end.date())}까지 도착 예정)"

    def card(self) -> dict:
        return {"id": self.id, "method": self.method, "label": self.label,
                "start": self.start.isoformat(), "end": self.end.isoformat()}


def _dawn(day: date, rules: dict, created: datetime) -> Slot:
    m = rules["methods"]["새벽"]
    cutoff = _at(day - timedelta(days=1), m["cancel_until"])
    sched = {"cancel_until": cutoff, "change_until": _at(day - timedelta(days=1), m["change_until"]),
             "prepare_at": max(created, cutoff), "ship_at": _at(day, "01:00"),
             "deliver_at": _at(day, "06:30"), "eta": _at(day, m["arrive_by"])}
    return Slot(f"{day.isoformat()}/새벽", "새벽", day, _at(day, "00:00"), _at(day, m["arrive_by"]),
                int(m["capacity"]), schedule=sched)


def _same_day(day: date, rules: dict, created: datetime) -> Slot:
    m = rules["methods"]["당일"]
    cutoff = _at(day, m["cancel_until"])
    sched = {"cancel_until": cutoff, "change_until": _at(day, m["change_until"]),
             "prepare_at": max(created, cutoff), "ship_at": _at(day, "15:00"),
             "deliver_at": _at(day, "21:30"), "eta": _at(day, m["arrive_by"])}
    return Slot(f"{day.isoformat()}/당일", "당일", day, _at(day, "14:00"), _at(day, m["arrive_by"]),
                int(m["capacity"]), schedule=sched)


def _standard(day: date, rules: dict, created: datetime, remote: bool) -> Slot:
    m = rules["methods"]["일반"]
    transit = int(m["remote_transit_days"] if remote else m["transit_days"])
    cutoff = created + timedelta(minutes=int(m["cancel_within_minutes"]))
    arrive = day + timedelta(days=transit)
    sched = {"cancel_until": cutoff, "change_until": cutoff, "prepare_at": cutoff,
             "ship_at": _at(day, "09:00"), "deliver_at": _at(arrive, "18:00"),
             "eta": _at(arrive, "21:00")}
    return Slot(f"{day.isoformat()}/일반", "일반", day, _at(day, "09:00"), _at(arrive, "21:00"),
                int(m["capacity"]), schedule=sched)


def _pickup(start: datetime, store: dict, rules: dict) -> Slot:
    m = rules["methods"]["픽업"]
    end = start + timedelta(hours=1)
    sched = {"cancel_until": start - timedelta(hours=1), "change_until": start - timedelta(hours=1),
             "prepare_at": start - timedelta(hours=1), "ship_at": start, "deliver_at": None,
             "eta": start, "hold_until": start + timedelta(days=int(m["hold_days"]))}
    return Slot(f"{start.date().isoformat()}/픽업/{store['id']}/{start:%H}", "픽업", start.date(),
                start, end, int(m["capacity"]), store=store["id"], schedule=sched)


def store_info(store_id: str | None = None, rules: dict | None = None) -> dict:
    """A pickup store by id (default: the first one, the kiosk's own store)."""
    stores = (rules or load_rules())["stores"]
    return next((s for s in stores if s["id"] == store_id), stores[0])


def slots_from(method: str, now: datetime | str | None, *, region: Region | None = None,
               store: str | None = None, rules: dict | None = None) -> Iterator[Slot]:
    """Every slot an order placed at `now` could take, earliest first (endless)."""
    rules = rules or load_rules()
    now = kst(now)
    if method == "새벽":
        m = rules["methods"]["새벽"]
        day = now.date() + timedelta(days=1 if now.time() < _hm(m["order_cutoff"]) else 2)
        while True:
            if not closure(method, day, rules):
                yield _dawn(day, rules, now)
            day += timedelta(days=1)
    elif method == "당일":
        m = rules["methods"]["당일"]
        closed = set(m.get("closed_weekdays", []))
        day = now.date() if now.time() < _hm(m["order_cutoff"]) else now.date() + timedelta(days=1)
        while True:
            if day.weekday() not in closed and not closure(method, day, rules):
                yield _same_day(day, rules, now)
            day += timedelta(days=1)
    elif method == "일반":
        remote = bool(region and surcharge(region, rules)[1])
        day = now.date() + timedelta(days=1)
        while True:
            yield _standard(day, rules, now, remote)
            day += timedelta(days=1)
    elif method == "픽업":
        info = store_info(store, rules)
        ready = now + timedelta(minutes=int(rules["methods"]["픽업"]["ready_after_minutes"]))
        start = ready.replace(minute=0, second=0, microsecond=0)
        if start < ready:
            start += timedelta(hours=1)
        while True:
            opens, closes = _at(start.date(), info["open"]), _at(start.date(), info["close"])
            if start < opens:
                start = opens
            if start + timedelta(hours=1) > closes or closure(method, start.date(), rules):
                start = _at(start.date() + timedelta(days=1), info["open"])
                continue
            yield _pickup(start, info, rules)
            start += timedelta(hours=1)
    else:
        raise ValueError(f"unknown delivery method {method!r}; expected one of {METHODS}")


def next_slot(method: str, now: datetime | str | None, **kw) -> Slot:
    """The first slot for an order placed at `now` (cut-offs applied, capacity not checked)."""
    return next(slots_from(method, now, **kw))


class SlotFull(Exception):
    """The chosen slot has no place left; `next_free` is the first later slot that has one."""

    def __init__(self, slot: Slot, next_free: Slot | None) -> None:
        self.slot, self.next_free = slot, next_free
        self.user_message = f"{slot.label} 슬롯은 이미 마감됐어요."
        if next_free is not None:
            self.user_message += f" 다음으로 가능한 슬롯은 {next_free.label}이에요."
        super().__init__(f"slot full: {slot.id}")


def _ensure_slot(conn: sqlite3.Connection, slot: Slot) -> None:
    conn.execute("INSERT OR IGNORE INTO delivery_slots (id, method, starts_at, capacity, taken) "
                 "VALUES (?, ?, ?, ?, 0)", (slot.id, slot.method, slot.start.isoformat(), slot.capacity))


def places_left(conn: sqlite3.Connection, slot: Slot) -> int:
    row = conn.execute("SELECT capacity - taken FROM delivery_slots WHERE id = ?", (slot.id,)).fetchone()
    return slot.capacity if row is None else int(row[0])


def first_free(conn: sqlite3.Connection, slots: Iterator[Slot], limit: int = 60) -> Slot | None:
    """The first slot of `slots` with a place left (looks `limit` slots ahead)."""
    for _, slot in zip(range(limit), slots):
        if places_left(conn, slot) > 0:
            return slot
    return None


def take_slot(conn: sqlite3.Connection, slot: Slot, later: Iterator[Slot] | None = None) -> None:
    """Book one place in `slot` inside the caller's write transaction; raise `SlotFull`
    (naming the next free slot of `later`) when none is left. Never oversells: the
    conditional UPDATE and the caller's `BEGIN IMMEDIATE` make it one atomic step."""
    _ensure_slot(conn, slot)
    cur = conn.execute("UPDATE delivery_slots SET taken = taken + 1 WHERE id = ? AND taken < capacity",
                       (slot.id,))
    if cur.rowcount == 0:
        raise SlotFull(slot, first_free(conn, later) if later is not None else None)


def release_slot(conn: sqlite3.Connection, slot_id: str | None) -> None:
    """Give a place back (a cancelled order), inside the caller's transaction."""
    if slot_id:
        conn.execute("UPDATE delivery_slots SET taken = taken - 1 WHERE id = ? AND taken > 0", (slot_id,))


def set_capacity(conn: sqlite3.Connection, slot: Slot, capacity: int) -> None:
    """Staff (and tests): set how many orders `slot` takes, inside a write transaction."""
    _ensure_slot(conn, slot)
    conn.execute("UPDATE delivery_slots SET capacity = ? WHERE id = ?", (int(capacity), slot.id))


def slot_by_id(slot_id: str, created: datetime | str, *, region: Region | None = None,
               rules: dict | None = None) -> Slot | None:
    """Rebuild a slot (and its schedule) from its id and the order's creation time."""
    rules = rules or load_rules()
    parts = (slot_id or "").split("/")
    if len(parts) < 2:
        return None
    day, method, created = date.fromisoformat(parts[0]), parts[1], kst(created)
    if method == "새벽":
        return _dawn(day, rules, created)
    if method == "당일":
        return _same_day(day, rules, created)
    if method == "일반":
        return _standard(day, rules, created, bool(region and surcharge(region, rules)[1]))
    if method == "픽업" and len(parts) == 4:
        return _pickup(_at(day, f"{parts[3]}:00"), store_info(parts[2], rules), rules)
    return None
