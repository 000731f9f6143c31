"""Feature rows for lead-time demand forecasting: one row per (product, forecast origin).

At the origin day t (after closing, when the 22:00 order is placed) the target is the
demand over the lead time ahead, y[t] = d[t+1] + ... + d[t+L]. Features use only days
<= t, plus what the store knows in advance about the target days (calendar, holidays,
planned promotions). Level features are divided by the product's recent daily mean
(`scale`) so one global model serves fast and slow sellers alike.

The seasonal-naive forecast is the same window one week earlier: y[t-7], which is known
at t whenever L <= 7.

Leaves out: model fitting and metrics (`store.forecast`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import numpy as np

from store.history import lead_time

if TYPE_CHECKING:
    import pandas as pd

    from store.history import History

WARMUP = 63  # origins before this index lack 8 weeks of same-weekday history
FEATURES = (
    "lead", "log_scale", "naive_n", "dow8_n", "dow4_n", "ma7_n", "ma28_n", "last_n",
    "diff1_n", "diff7_n", "ma7_diff7_n", "weekday", "weekend_days", "closed_days",
    "closed_naive", "holiday_days", "days_to_holiday", "payday_days", "promo_days",
    "promo_naive", "promo_last7", "visits_ratio", "visits_trend", "fuel_change", "doy_sin", "doy_cos",
)


def _window_sum(x: np.ndarray, lead: int) -> np.ndarray:
    """out[t] = x[t+1] + ... + x[t+lead]; NaN where the window runs past the end."""
    n = len(x)
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    out = np.full(n, np.nan)
    t = np.arange(n - lead)
    out[: n - lead] = c[t + 1 + lead] - c[t + 1]
    return out


def _trailing_mean(x: np.ndarray, w: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x, dtype=float)])
    out = np.full(len(x), np.nan)
    t = np.arange(w - 1, len(x))
    out[w - 1:] = (c[t + 1] - c[t + 1 - w]) / w
    return out


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full(len(x), np.nan)
    out[k:] = x[: len(x) - k]
    return out


def _same_weekday_mean(d: np.ndarray, lead: int, weeks: int) -> np.ndarray:
    """Sum over the target days of each day's mean demand on the same weekday over the
    past `weeks` weeks (only days <= t are used since lead <= 7)."""
    n = len(d)
    out = np.zeros(n)
    for j in range(1, lead + 1):
        acc = np.zeros(n)
        for k in range(1, weeks + 1):
            acc += _shift(np.concatenate([d, np.zeros(j)]), 7 * k)[j: n + j]
        out += acc / weeks
    out[: 7 * weeks] = np.nan
    return out


def product_rows(d: np.ndarray, promo: np.ndarray, daily: "pd.DataFrame", lead: int) -> dict[str, np.ndarray]:
    """Feature columns, target `y` and `naive` for one product's daily demand `d`."""
    n = len(d)
    open_days = ~daily["closed"].to_numpy()
    ma7 = _trailing_mean(d, 7)
    ma28 = _trailing_mean(d, 28)
    scale = np.maximum(_trailing_mean(d, 28) * 28 / np.maximum(_trailing_mean(open_days.astype(float), 28) * 28, 1),
                       0.05)
    y = _window_sum(d, lead)
    naive = _shift(y, 7)
    norm = scale * lead
    visits = daily["visits"].to_numpy(dtype=float)
    v7, v28 = _trailing_mean(visits, 7), _trailing_mean(visits, 28)
    fuel = daily["fuel_price"].to_numpy(dtype=float)
    weekday = daily["weekday"].to_numpy()
    wk = np.concatenate([weekday, (weekday[-1] + 1 + np.arange(7)) % 7])
    ext = lambda a: np.concatenate([a.astype(float), np.zeros(7)])  # noqa: E731 - pad past the end
    closed = ext(daily["closed"].to_numpy())
    doy = daily["date"].dt.dayofyear.to_numpy()
    cols: dict[str, np.ndarray] = {
        "lead": np.full(n, lead, dtype=float),
        "log_scale": np.log(scale),
        "naive_n": naive / norm,
        "dow8_n": _same_weekday_mean(d, lead, 8) / norm,
        "dow4_n": _same_weekday_mean(d, lead, 4) / norm,
        "ma7_n": ma7 / scale,
        "ma28_n": ma28 / scale,
        "last_n": d / scale,
        "diff1_n": (d - _shift(d, 1)) / scale,
        "diff7_n": (d - _shift(d, 7)) / scale,
        "ma7_diff7_n": (ma7 - _shift(ma7, 7)) / scale,
        "weekday": wk[1: n + 1].astype(float),
        "weekend_days": _window_sum((wk >= 5).astype(float), lead)[:n],
        "closed_days": _window_sum(closed, lead)[:n],
        "closed_naive": _shift(_window_sum(closed, lead)[:n], 7),
        "holiday_days": _window_sum(ext(daily["holiday"].to_numpy()), lead)[:n],
        "days_to_holiday": np.concatenate([daily["days_to_holiday"].to_numpy()[1:], [30]]).astype(float),
        "payday_days": _window_sum(ext(daily["days_since_payday"].to_numpy() <= 2), lead)[:n],
        "promo_days": _window_sum(ext(promo), lead)[:n],
        "promo_naive": _shift(_window_sum(ext(promo), lead)[:n], 7),
        "promo_last7": _trailing_mean(promo.astype(float), 7) * 7,
        "visits_ratio": v7 / v28,
        "visits_trend": v28 / _shift(v28, 28),
        "fuel_change": fuel / _shift(fuel, 28) - 1,
        "doy_sin": np.sin(2 * np.pi * doy / 365.25),
        "doy_cos": np.cos(2 * np.pi * doy / 365.25),
    }
    cols["y"] = y
    cols["naive"] = naive
    cols["norm"] = norm
    return cols


def build_frame(history: "History", product_ids: Iterable[str]) -> "pd.DataFrame":
    """Rows for every (product, origin) from WARMUP on; the last L origins have y = NaN
    (the future: these are what the store forecasts tonight)."""
    import pandas as pd

    daily = history.daily.sort_values("date").reset_index(drop=True)
    dates = daily["date"]
    wide_q = history.sales.pivot_table(index="date", columns="product_id", values="qty",
                                       aggfunc="sum").reindex(dates).fillna(0)
    wide_p = history.sales.pivot_table(index="date", columns="product_id", values="promo",
                                       aggfunc="max").reindex(dates).fillna(0)
    frames = []
    for pid in product_ids:
        if pid not in wide_q:
            continue
        lead = lead_time(pid)
        cols = product_rows(wide_q[pid].to_numpy(dtype=float), wide_p[pid].to_numpy(dtype=bool)
                            if pid in wide_p else np.zeros(len(dates), bool), daily, lead)
        f = pd.DataFrame(cols)
        f.insert(0, "origin", dates.to_numpy())
        f.insert(0, "product_id", pid)
        frames.append(f.iloc[WARMUP:])
    if not frames:
        raise ValueError("none of the requested products has sales history")
    return pd.concat(frames, ignore_index=True)
