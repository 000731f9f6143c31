"""Reorder simulation: judge a forecast by the inventory it makes the store hold.

Each day: the morning delivery arrives, customers buy min(demand, on hand) (the rest is
lost), the store closes at 21:00 and at 22:00 orders up to forecast + safety stock:
order = max(0, ceil(F + SS - on hand - on order)), where F is the forecast demand over
the lead time L. The order arrives the morning of day + L. For each policy the smallest
safety stock SS with zero lost sales over the test period is found (lost sales never
grow with SS, so a bisection works), then:
  avg inventory value = mean over days of (opening + closing) / 2 x price x 50%
  turnover            = mean daily units sold / mean daily units on hand (value-weighted
                        across products)
Policies: "forecast" (learned model) vs "naive" (seasonal naive: last week's same days),
both on out-of-sample backtest forecasts. The first `warmup` days settle the opening
stock and are not scored.

    python -m store.simulate --json --top 50

Leaves out: the forecasts themselves (`store.forecast`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from store.history import History

COST_RATIO = 0.5  # inventory valued at 50% of the selling price (seed 002)


@dataclass(frozen=True)
class SimResult:
    safety_stock: int
    avg_inventory_value: float
    avg_inventory_units: float
    lost_sales: int
    sold: int
    turnover: float
    days: int


def run_policy(demand: Sequence[int], forecast: Sequence[float], lead: int, price: float,
               safety_stock: int, base_opening: int, warmup: int = 0) -> SimResult:
    """Simulate one product. `forecast[i]` is the demand forecast for days i+1..i+L made
    at 22:00 on day i; opening stock on day 0 is `safety_stock + base_opening`.

    >>> r = run_policy([5] * 6, [5] * 6, lead=1, price=1000, safety_stock=0, base_opening=5)
    >>> r.lost_sales, r.avg_inventory_units, r.avg_inventory_value, r.turnover
    (0, 2.5, 1250.0, 2.0)
    """
    n = len(demand)
    on_hand = safety_stock + base_opening
    arrivals = [0] * (n + lead + 1)
    on_order = 0
    inv_units = lost = sold = 0.0
    for i in range(n):
        on_hand += arrivals[i]
        on_order -= arrivals[i]
        opening = on_hand
        sale = min(int(demand[i]), on_hand)
        on_hand -= sale
        if i >= warmup:
            inv_units += (opening + on_hand) / 2
            lost += int(demand[i]) - sale
            sold += sale
        order = max(0, math.ceil(float(forecast[i]) + safety_stock - on_hand - on_order - 1e-9))
        arrivals[i + lead] += order
        on_order += order
    days = max(n - warmup, 1)
    avg_units = inv_units / days
    return SimResult(safety_stock, avg_units * price * COST_RATIO, avg_units, int(lost), int(sold),
                     (sold / days) / avg_units if avg_units > 0 else 0.0, days)


def min_safety_stock(demand: Sequence[int], forecast: Sequence[float], lead: int, price: float,
                     base_opening: int, warmup: int = 0) -> SimResult:
    """The run with the smallest safety stock that loses no sale."""
    run = lambda ss: run_policy(demand, forecast, lead, price, ss, base_opening, warmup)  # noqa: E731
    best = run(0)
    if best.lost_sales == 0:
        return best
    lo, hi = 0, max(1, int(max(demand, default=0)))
    while (res := run(hi)).lost_sales > 0:
        lo, hi = hi, hi * 2
    best = res
    while hi - lo > 1:  # invariant: run(lo) loses sales, run(hi) does not
        mid = (lo + hi) // 2
        res = run(mid)
        if res.lost_sales == 0:
            hi, best = mid, res
        else:
            lo = mid
    return best


def _total(results: dict[str, SimResult], prices: dict[str, int]) -> dict:
    value = sum(r.avg_inventory_value for r in results.values())
    sold_value = sum(r.sold / r.days * prices[p] * COST_RATIO for p, r in results.items())
    return {"avg_inventory_value": round(value, 1),
            "lost_sales": sum(r.lost_sales for r in results.values()),
            "safety_stock": sum(r.safety_stock for r in results.values()),
            "turnover": round(sold_value / value, 4) if value else 0.0}


def simulate(predictions: "pd.DataFrame", history: "History", warmup: int = 14) -> dict:
    """Both policies for every product in `predictions` (out-of-sample backtest rows)."""
    import numpy as np

    sales = history.sales.pivot_table(index="date", columns="product_id", values="qty", aggfunc="sum").fillna(0)
    policies = {"forecast": "pred", "naive": "naive"}
    results: dict[str, dict[str, SimResult]] = {k: {} for k in policies}
    for pid, g in predictions.sort_values("origin").groupby("product_id", sort=True):
        lead = int(g["lead"].iloc[0])
        d = sales[pid].reindex(g["origin"]).fillna(0).astype(int).to_numpy()
        before = sales[pid][sales.index < g["origin"].iloc[0]].tail(28)
        base_opening = int(math.ceil(lead * float(before.mean() if len(before) else 0)))
        for name, col in policies.items():
            f = np.nan_to_num(g[col].to_numpy(dtype=float))
            results[name][pid] = min_safety_stock(d, f, lead, history.prices[pid], base_opening, warmup)
    out = {name: _total(res, history.prices) for name, res in results.items()}
    fv, nv = out["forecast"]["avg_inventory_value"], out["naive"]["avg_inventory_value"]
    out["products"] = len(results["forecast"])
    out["inventory_value_saved_pct"] = round(100 * (nv - fv) / nv, 2) if nv else 0.0
    out["forecast_wins"] = sum(results["forecast"][p].avg_inventory_value < results["naive"][p].avg_inventory_value
                               for p in results["forecast"])
    out["per_product"] = {p: {name: asdict(results[name][p]) for name in policies} for p in results["forecast"]}
    return out


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m store.simulate", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Reorder simulation: forecast-driven vs seasonal-naive ordering.",
        epilog="example:\n  python -m store.simulate --json --top 50")
    p.add_argument("--top", type=int, default=50, help="best-selling N products")
    p.add_argument("--history", type=Path, default=Path("var/history"))
    p.add_argument("--predictions", type=Path, default=None,
                   help="backtest.csv from `python -m store.forecast --backtest` (default: run the backtest)")
    p.add_argument("--warmup", type=int, default=14)
    p.add_argument("--json", action="store_true", help="print the full JSON report")
    return p


def main(argv: Iterable[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    import pandas as pd

    from store.forecast import backtest, top_products
    from store.forecast_features import build_frame
    from store.history import load

    history = load(args.history)
    ids = top_products(history, args.top)
    if args.predictions:
        preds = pd.read_csv(args.predictions, parse_dates=["origin"], dtype={"product_id": str})
        preds = preds[preds["product_id"].isin(ids)]
    else:
        preds = backtest(build_frame(history, ids), progress=True)
    print(f"simulating {preds['product_id'].nunique()} products", file=sys.stderr)
    report = simulate(preds, history, warmup=args.warmup)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        f, n = report["forecast"], report["naive"]
        print(f"avg inventory value: forecast {f['avg_inventory_value']:,.0f} vs naive {n['avg_inventory_value']:,.0f} "
              f"KRW/day ({report['inventory_value_saved_pct']}% less), lost sales {f['lost_sales']}/{n['lost_sales']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
