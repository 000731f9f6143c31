"""Korean retail calendar facts for the demo store: 설날/추석 dates, paydays, closing days.

Pure functions over dates; no I/O. The lunar holidays are hard-coded (solar dates of the
real holidays, including substitute and temporary days) for 2023-2027 so no lunar
calendar library is needed. Leaves out: other public holidays (small effect on a mart).

Example:
    >>> import datetime as dt
    >>> is_closed(dt.date(2025, 1, 29)), days_to_next_holiday(dt.date(2025, 1, 20))
    (True, 9)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

D = dt.date
# (name, main day, every day of the official break)
HOLIDAYS: tuple[tuple[str, dt.date, tuple[dt.date, ...]], ...] = (
    ("설날", D(2023, 1, 22), (D(2023, 1, 21), D(2023, 1, 22), D(2023, 1, 23), D(2023, 1, 24))),
    ("추석", D(2023, 9, 29), (D(2023, 9, 28), D(2023, 9, 29), D(2023, 9, 30), D(2023, 10, 2))),
    ("설날", D(2024, 2, 10), (D(2024, 2, 9), D(2024, 2, 10), D(2024, 2, 11), D(2024, 2, 12))),
    ("추석", D(2024, 9, 17), (D(2024, 9, 16), D(2024, 9, 17), D(2024, 9, 18))),
    ("설날", D(2025, 1, 29), (D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30))),
    ("추석", D(2025, 10, 6), (D(2025, 10, 5), D(2025, 10, 6), D(2025, 10, 7), D(2025, 10, 8))),
    ("설날", D(2026, 2, 17), (D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18))),
    ("추석", D(2026, 9, 25), (D(2026, 9, 24), D(2026, 9, 25), D(2026, 9, 26))),
    ("설날", D(2027, 2, 7), (D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8), D(2027, 2, 9))),
    ("추석", D(2027, 9, 15), (D(2027, 9, 14), D(2027, 9, 15), D(2027, 9, 16))),
)


@lru_cache(maxsize=1)
def _break_days() -> frozenset[dt.date]:
    return frozenset(d for _, _, days in HOLIDAYS for d in days)


def is_closed(day: dt.date) -> bool:
    """The store closes on the main day of 설날 and 추석."""
    return any(day == main for _, main, _ in HOLIDAYS)


def is_holiday(day: dt.date) -> bool:
    """Any day of the official 설날/추석 break."""
    return day in _break_days()


def days_to_next_holiday(day: dt.date, cap: int = 30) -> int:
    """Days until the next 설날/추석 main day (0 on the day itself), capped at `cap`."""
    gaps = [(main - day).days for _, main, _ in HOLIDAYS if (main - day).days >= 0]
    return min(min(gaps), cap) if gaps else cap


def payday(day: dt.date) -> dt.date:
    """Pay day of `day`'s month: the 25th, moved to the Friday before on a weekend."""
    p = day.replace(day=25)
    while p.weekday() >= 5:
        p -= dt.timedelta(days=1)
    return p


def days_since_payday(day: dt.date) -> int:
    """Days since the most recent pay day (0 on pay day)."""
    p = payday(day)
    if p > day:
        first = day.replace(day=1) - dt.timedelta(days=1)
        p = payday(first)
    return (day - p).days


def calendar_arrays(dates: list[dt.date]) -> dict[str, np.ndarray]:
    """Vectorized calendar columns for a list of days (weekday 0 = Monday)."""
    return {
        "weekday": np.array([d.weekday() for d in dates], dtype=np.int8),
        "closed": np.array([is_closed(d) for d in dates], dtype=bool),
        "holiday": np.array([is_holiday(d) for d in dates], dtype=bool),
        "days_to_holiday": np.array([days_to_next_holiday(d) for d in dates], dtype=np.int16),
        "days_since_payday": np.array([days_since_payday(d) for d in dates], dtype=np.int16),
    }
