"""Default suggestions from the moment: time of day (아침: 빵·우유·시리얼; 저녁: 간편식), season
(여름: 수박·아이스크림), the weeks before 설날/추석 (선물세트) and a weather hint the store sets
in its settings (no network). The rules are data: `data/store/context.json`.

    >>> m = moment(datetime(2026, 7, 20, 8, 0))
    >>> (m.daypart, m.season, m.holiday)
    ('아침', '여름', None)
    >>> moment(datetime(2026, 9, 10, 19, 0)).holiday
    '추석'

Leaves out: showing them (the assistant's greeting and empty search, the kiosk's first screen).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

KST = timezone(timedelta(hours=9))
_RULES: dict[str, dict] = {}


@dataclass(frozen=True)
class Moment:
    now: datetime
    daypart: str            # 아침 / 점심 / 오후 / 저녁 / 밤
    season: str             # 봄 / 여름 / 가을 / 겨울
    holiday: str | None     # 설날 / 추석 when its main day is within the window
    weather: str | None     # the rule id matched by the store's hint (rain / hot / cold)

    @property
    def label(self) -> str:
        """"여름 아침" / "추석 앞둔 가을 저녁"."""
        head = f"{self.holiday} 앞둔 " if self.holiday else ""
        return f"{head}{self.season} {self.daypart}"


@dataclass(frozen=True)
class Shelf:
    title: str                       # "아침 식사"
    product_ids: tuple[str, ...]


def rules(data_dir: str | Path = "data") -> dict:
    key = str(Path(data_dir).resolve())
    if key not in _RULES:
        _RULES[key] = json.loads((Path(data_dir) / "store" / "context.json").read_text(encoding="utf-8"))
    return _RULES[key]


def parse_now(value: str | datetime | None) -> datetime:
    """The clock (KST) or a fixed moment from settings ("2026-07-20T08:00", "2026-07-20 08:00")."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=KST)
    if not value:
        return datetime.now(KST)
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"--now must be an ISO date-time like 2026-07-20T08:00, got {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=KST)


def _in_hours(hour: int, start: int, end: int) -> bool:
    return start <= hour < end if start < end else (hour >= start or hour < end)


def moment(now: datetime | str | None = None, weather: str | None = None, data_dir: str | Path = "data") -> Moment:
    from store.calendar_kr import HOLIDAYS

    now = parse_now(now)
    local = now.astimezone(KST)
    r = rules(data_dir)
    daypart = next((d["label"] for d in r["dayparts"] if _in_hours(local.hour, d["from"], d["to"])), "")
    season = next((s["label"] for s in r["seasons"] if local.month in s["months"]), "")
    window = int(r.get("holiday_window_days", 21))
    today: date = local.date()
    holiday = next((name for name, main, _days in HOLIDAYS if 0 <= (main - today).days <= window), None)
    hint = (weather or "").strip().lower()
    matched = next((w["id"] for w in r.get("weather", ()) if hint and any(word in hint for word in w["words"])), None)
    return Moment(now, daypart, season, holiday, matched)


def shelves(m: Moment, catalog: dict, per_shelf: int = 3, allowed=None, data_dir: str | Path = "data",
            level=None) -> list[Shelf]:
    """Suggestion shelves for the moment, most specific first: holiday, weather, time of day,
    season. Each shelf holds the best-rated, most-reviewed in-stock products of its picks.
    `allowed(product) -> bool` applies the shopper's allergens and diet."""
    r = rules(data_dir)
    groups: list[tuple[str, list[dict]]] = []
    if m.holiday:
        groups.append((f"{m.holiday} {r['holidays']['title']}", r["holidays"]["picks"]))
    if m.weather:
        w = next(w for w in r["weather"] if w["id"] == m.weather)
        groups.append((w["title"], w["picks"]))
    d = next((d for d in r["dayparts"] if d["label"] == m.daypart), None)
    if d:
        groups.append((d["title"], d["picks"]))
    s = next((s for s in r["seasons"] if s["label"] == m.season), None)
    if s:
        groups.append((s["title"], s["picks"]))
    level = level or (lambda pid: catalog[pid].stock)
    by_leaf: dict[str, list] = {}
    for p in catalog.values():
        by_leaf.setdefault(p.category, []).append(p)
    out, used = [], set()
    for title, picks in groups:
        chosen = []
        for pick in picks:   # one product per pick first, so a shelf mixes 빵·우유·시리얼
            cands = [p for p in by_leaf.get(pick["category"], ())
                     if p.id not in used and (not pick.get("name_any") or any(w in p.name for w in pick["name_any"]))
                     and (allowed is None or allowed(p)) and level(p.id) > 0]
            cands.sort(key=lambda p: (-(p.rating * min(p.review_count, 500) ** 0.25), p.id))
            if cands:
                chosen.append(cands[0].id)
                used.add(cands[0].id)
        if chosen:
            out.append(Shelf(title, tuple(chosen[:per_shelf])))
    return out
