"""Daily sales history of the demo store: a seeded synthetic 3 years, plus real orders.

`generate()` draws 2023-11-21 .. 2026-11-20 for the most popular products: a store-level
visit count (weekday pattern, 설/추석, pay days, fuel price, growth) drives every
product's demand, multiplied by the product's own trend, yearly season, promotions and
holiday appetite, with gamma-Poisson noise (slow items become intermittent). The history
is uncensored demand (the store never ran out), which the simulator relies on.

Run (written by setup, not committed; < 10 s):
    python -m store.history build --catalog data/catalog/products.jsonl --out var/history --top 200

Leaves out: forecasting (`store.forecast`), the catalog itself (`store.catalog`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from store._io import atomic_write

if TYPE_CHECKING:
    import pandas as pd
    import sqlite_utils

START = dt.date(2023, 11, 21)
END = dt.date(2026, 11, 20)
DEFAULT_DIR = Path("var/history")
WEEKDAY_VISITS = (0.90, 0.86, 0.90, 0.94, 1.06, 1.30, 1.22)  # Mon..Sun
HOLIDAY_HUNGRY = ("과일", "정육", "축산", "수산", "선물", "떡", "한우", "사과", "배", "전", "주류", "음료")


class HistoryError(RuntimeError):
    def __init__(self, message: str) -> None:
        self.user_message = "판매 이력을 찾을 수 없습니다. 먼저 `python -m store.history build`를 실행해 주세요."
        super().__init__(message)


@dataclass(frozen=True)
class History:
    """`sales`: long frame (date, product_id, qty, promo); `daily`: one row per date with
    visits, fuel_price and calendar columns; `prices`: product_id -> effective price."""

    sales: "pd.DataFrame"
    daily: "pd.DataFrame"
    prices: dict[str, int]


def lead_time(product_id: str) -> int:
    """Supplier lead time in days (1-3), fixed per product.

    >>> lead_time("P0001") in (1, 2, 3)
    True
    """
    return 1 + zlib.crc32(product_id.encode("utf-8")) % 3


def popularity_rank(products: Sequence) -> list:
    """Products sorted most popular first (review count, then rating, then id)."""
    return sorted(products, key=lambda p: (-getattr(p, "review_count", 0),
                                           -getattr(p, "rating", 0.0), p.id))


def _daily_frame(dates: list[dt.date], rng) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd

    from store.calendar_kr import calendar_arrays

    cal = calendar_arrays(dates)
    n = len(dates)
    t_years = np.arange(n) / 365.25
    # Fuel price: mean-reverting walk around 1,650 KRW/L with a slow cycle.
    fuel = np.empty(n)
    fuel[0] = 1620.0
    for i in range(1, n):
        fuel[i] = fuel[i - 1] + 0.02 * (1650 + 120 * np.sin(2 * np.pi * t_years[i] / 1.7) - fuel[i - 1]) \
            + rng.normal(0, 6)
    weekday = np.array(WEEKDAY_VISITS)[cal["weekday"]]
    payday = np.where(cal["days_since_payday"] <= 2, 1.12 - 0.03 * cal["days_since_payday"], 1.0)
    pre_holiday = np.where((cal["days_to_holiday"] >= 1) & (cal["days_to_holiday"] <= 7),
                           1.0 + 0.06 * (8 - cal["days_to_holiday"]), 1.0)
    holiday = np.where(cal["holiday"], 0.55, 1.0)
    fuel_effect = 1.0 - 0.25 * (fuel - 1650) / 1650
    visits = 1200 * (1 + 0.05 * t_years) * weekday * payday * pre_holiday * holiday * fuel_effect
    visits = visits * rng.lognormal(0, 0.04, n)
    visits[cal["closed"]] = 0
    frame = pd.DataFrame({"date": pd.to_datetime(dates), "visits": np.round(visits).astype(int),
                          "fuel_price": np.round(fuel, 1)})
    for key, arr in cal.items():
        frame[key] = arr
    return frame


def generate(products: Sequence, start: dt.date = START, end: dt.date = END, top: int = 200,
             seed: int = 2026) -> History:
    """Seeded synthetic history for the `top` most popular products (0 = all)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ranked = popularity_rank(products)
    if top:
        ranked = ranked[:top]
    if not ranked:
        raise HistoryError("no products to generate history for")
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    daily = _daily_frame(dates, rng)
    n_days, n_prod = len(dates), len(ranked)
    visit_ratio = daily["visits"].to_numpy() / daily["visits"].to_numpy()[~daily["closed"].to_numpy()].mean()
    t_years = np.arange(n_days) / 365.25
    doy = np.array([d.timetuple().tm_yday for d in dates])
    dth = daily["days_to_holiday"].to_numpy()
    weekday = daily["weekday"].to_numpy()

    ranks = np.arange(1, n_prod + 1)
    base = 90.0 * ranks ** -0.6
    slow = (ranks > max(20, int(0.7 * n_prod))) & (rng.random(n_prod) < 0.5)
    base[slow] = rng.uniform(0.15, 0.9, slow.sum())  # intermittent sellers
    trend = rng.normal(0.04, 0.10, n_prod)
    season_amp = rng.uniform(0.0, 0.3, n_prod)
    season_phase = rng.uniform(0, 2 * np.pi, n_prod)
    hungry = np.array([any(w in p.category or w in p.name for w in HOLIDAY_HUNGRY) for p in ranked])
    holiday_appetite = np.where(hungry, rng.uniform(0.8, 2.0, n_prod), rng.uniform(0.0, 0.3, n_prod))
    wd_tilt = rng.normal(0, 0.06, (n_prod, 7))
    dispersion = rng.uniform(4, 20, n_prod)

    promo = np.zeros((n_prod, n_days), dtype=bool)
    uplift = np.ones(n_prod)
    for i in range(n_prod):
        uplift[i] = rng.uniform(1.3, 2.2)
        day = int(rng.integers(0, 40))
        while day < n_days:
            promo[i, day:day + int(rng.integers(4, 8))] = True
            day += int(rng.integers(35, 75))

    pre = np.clip(8 - dth, 0, 7) / 7.0 * ((dth >= 1) & (dth <= 7))  # ramps up into the holiday
    lam = (base[:, None] * visit_ratio[None, :]
           * np.exp(trend[:, None] * t_years[None, :])
           * (1 + season_amp[:, None] * np.sin(2 * np.pi * doy[None, :] / 365.25 + season_phase[:, None]))
           * (1 + wd_tilt[:, weekday])
           * (1 + holiday_appetite[:, None] * pre[None, :])
           * np.where(promo, uplift[:, None], 1.0))
    gamma = rng.gamma(dispersion[:, None], 1.0 / dispersion[:, None], lam.shape)
    qty = rng.poisson(np.clip(lam, 0, None) * gamma)
    qty[:, daily["closed"].to_numpy()] = 0
    sales = pd.DataFrame({
        "date": np.tile(daily["date"].to_numpy(), n_prod),
        "product_id": np.repeat([p.id for p in ranked], n_days),
        "qty": qty.ravel().astype(int),
        "promo": promo.ravel(),
    })
    prices = {p.id: int(p.effective_price) for p in ranked}
    return History(sales, daily, prices)


def _atomic_csv(frame: "pd.DataFrame", path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False,
                                                compression="gzip" if path.suffix == ".gz" else None))


def save(history: History, out_dir: Path) -> None:
    """Write `sales.csv.gz`, `daily.csv`, `prices.csv` atomically into `out_dir`."""
    import pandas as pd

    _atomic_csv(history.sales, out_dir / "sales.csv.gz")
    _atomic_csv(history.daily, out_dir / "daily.csv")
    _atomic_csv(pd.DataFrame(sorted(history.prices.items()), columns=["product_id", "price"]),
                out_dir / "prices.csv")


def load(out_dir: Path = DEFAULT_DIR, db: "sqlite_utils.Database | None" = None) -> History:
    """Read a saved history; with `db`, real orders are appended as further daily sales."""
    import pandas as pd

    out_dir = Path(out_dir)
    if not (out_dir / "sales.csv.gz").exists():
        raise HistoryError(f"no history at {out_dir}; run `python -m store.history build`")
    sales = pd.read_csv(out_dir / "sales.csv.gz", parse_dates=["date"], dtype={"product_id": str})
    daily = pd.read_csv(out_dir / "daily.csv", parse_dates=["date"])
    prices = dict(pd.read_csv(out_dir / "prices.csv", dtype={"product_id": str}).itertuples(index=False))
    if db is not None:
        real = daily_sales_from_orders(db)
        real = real[real["date"] > sales["date"].max()]
        if len(real):
            real = real[real["product_id"].isin(prices)].assign(promo=False)
            sales = pd.concat([sales, real], ignore_index=True)
            daily = _extend_daily(daily, sales["date"].max())
    return History(sales, daily, {k: int(v) for k, v in prices.items()})


def _extend_daily(daily: "pd.DataFrame", until: "pd.Timestamp") -> "pd.DataFrame":
    """Calendar rows for days after the synthetic span. Real visit counts and fuel prices
    are not recorded by the app, so the last 28 days' mean visits and the last fuel price
    stand in for them."""
    import pandas as pd

    from store.calendar_kr import calendar_arrays

    last = daily["date"].max()
    if until <= last:
        return daily
    dates = [d.date() for d in pd.date_range(last + pd.Timedelta(days=1), until)]
    extra = pd.DataFrame({"date": pd.to_datetime(dates),
                          "visits": int(daily["visits"].tail(28).mean()),
                          "fuel_price": daily["fuel_price"].iloc[-1]})
    for key, arr in calendar_arrays(dates).items():
        extra[key] = arr
    return pd.concat([daily, extra], ignore_index=True)


def daily_sales_from_orders(db: "sqlite_utils.Database") -> "pd.DataFrame":
    """Units sold per (date, product_id) from the real `orders`/`order_items` tables."""
    import pandas as pd

    cols = ["date", "product_id", "qty"]
    if not db["orders"].exists() or not db["order_items"].exists():
        return pd.DataFrame(columns=cols)
    rows = db.execute("SELECT substr(o.created_at, 1, 10) AS day, i.product_id, SUM(i.qty) "
                      "FROM orders o JOIN order_items i ON i.order_id = o.id "
                      "GROUP BY day, i.product_id ORDER BY day, i.product_id").fetchall()
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["qty"] = frame["qty"].astype(int)
    return frame


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m store.history",
        description="Build the demo store's synthetic daily sales history.",
        epilog="example: python -m store.history build --top 200 --out var/history",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="generate and save the history",
                       epilog="example: python -m store.history build --top 200")
    b.add_argument("--catalog", type=Path, default=Path("data/catalog/products.jsonl"))
    b.add_argument("--out", type=Path, default=DEFAULT_DIR)
    b.add_argument("--top", type=int, default=200, help="most popular N products (0 = all)")
    b.add_argument("--seed", type=int, default=2026)
    return p


def main(argv: Iterable[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    from store.catalog import load_catalog

    history = generate(load_catalog(args.catalog), top=args.top, seed=args.seed)
    save(history, args.out)
    n = history.sales["product_id"].nunique()
    print(f"wrote {len(history.sales):,} rows for {n} products, "
          f"{history.daily['date'].min():%Y-%m-%d}..{history.daily['date'].max():%Y-%m-%d} to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
