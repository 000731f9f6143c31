"""Forecast metrics on hand-made arrays, lead-time features, and a tiny backtest."""

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pytest

from store.forecast import (
    DemandForecaster,
    LeadForecast,
    backtest,
    mae,
    metrics,
    r2,
    rmse,
    score,
    smape,
    stockout_risk,
    top_products,
)
from store.forecast_features import FEATURES, _same_weekday_mean, _window_sum, build_frame
from store.history import generate, lead_time


@pytest.fixture(autouse=True)
def one_thread():
    # The shared 2-core machines are oversubscribed; OpenMP spinning makes tiny fits slow.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def test_metrics_by_hand():
    y, p = [1, 2, 3, 4], [2, 2, 2, 6]
    assert mae(y, p) == pytest.approx(1.0)
    assert rmse(y, p) == pytest.approx(math.sqrt((1 + 0 + 1 + 4) / 4))
    assert r2(y, p) == pytest.approx(1 - 6 / 5)
    assert r2([3, 3], [3, 3]) == 0.0


def test_smape_handles_zero_sales():
    assert smape([0, 0, 0], [0, 0, 0]) == 0.0          # no division by zero, no 9e17
    assert smape([0, 10], [0, 30]) == pytest.approx(50.0)
    assert smape([0], [5]) == pytest.approx(200.0)     # bounded, unlike MAPE
    assert set(metrics([1], [1])) == {"rmse", "mae", "smape", "r2"}


def test_window_sum_and_same_weekday_mean():
    d = np.arange(1, 11, dtype=float)                   # 1..10
    assert _window_sum(d, 2)[:3].tolist() == [5.0, 7.0, 9.0]   # d[1]+d[2], ...
    assert np.isnan(_window_sum(d, 2)[-2:]).all()
    d = np.tile([1, 1, 1, 1, 1, 5, 9], 5).astype(float)  # weekly pattern
    got = _same_weekday_mean(d, 2, weeks=2)
    # origin index 14 is a Monday-like slot 0: target days are slots 1 and 2 -> 1 + 1
    assert got[14] == 2.0 and got[18] == 5 + 9 and np.isnan(got[13])


def test_lead_time_is_deterministic_and_in_range():
    leads = {lead_time(f"P{i:04d}") for i in range(100)}
    assert leads == {1, 2, 3}
    assert lead_time("P0007") == lead_time("P0007")


@dataclass(frozen=True)
class Prod:
    id: str
    review_count: int
    name: str = "상품"
    category: str = "식품/과일/사과"
    price: int = 1000
    rating: float = 4.0

    @property
    def effective_price(self) -> int:
        return self.price


@pytest.fixture(scope="module")
def tiny_history():
    products = [Prod(f"P{i:04d}", 1000 - i) for i in range(1, 7)]
    return generate(products, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), top=4, seed=1)


def test_history_is_seeded_and_shaped(tiny_history):
    again = generate([Prod(f"P{i:04d}", 1000 - i) for i in range(1, 7)],
                     start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), top=4, seed=1)
    assert tiny_history.sales.equals(again.sales)
    assert tiny_history.sales["product_id"].nunique() == 4 and len(tiny_history.daily) == 365
    closed = tiny_history.daily.loc[tiny_history.daily["closed"], "date"].dt.strftime("%m-%d").tolist()
    assert closed == ["01-29", "10-06"]                 # 설날, 추석 2025
    s = tiny_history.sales.merge(tiny_history.daily[["date", "closed"]], on="date")
    assert s.loc[s["closed"], "qty"].sum() == 0
    wk = tiny_history.daily.groupby("weekday")["visits"].mean()
    assert wk[5] > wk[1]                                 # Saturdays busier than Tuesdays


def test_features_target_and_naive(tiny_history):
    frame = build_frame(tiny_history, ["P0001"])
    assert set(FEATURES) <= set(frame.columns)
    lead = lead_time("P0001")
    d = tiny_history.sales.query("product_id == 'P0001'").set_index("date")["qty"]
    row = frame.iloc[10]
    t = d.index.get_loc(row["origin"])
    assert row["y"] == d.iloc[t + 1: t + 1 + lead].sum()
    assert row["naive"] == d.iloc[t - 6: t - 6 + lead].sum()
    assert frame["y"].isna().sum() == lead               # the future at the end


def test_backtest_is_out_of_sample_and_scored(tiny_history):
    frame = build_frame(tiny_history, top_products(tiny_history, 4))
    preds = backtest(frame, folds=2, test_days=30, max_iter=40)
    assert preds["origin"].nunique() == 60 and (preds["pred"] >= 0).all()
    report = score(preds)
    assert report["products"] == 4 and 0 <= report["learned_beats_naive"] <= 4
    assert set(report["per_product"]["P0001"]["learned"]) == {"rmse", "mae", "smape", "r2"}


def test_forecaster_latest_and_stockout_risk(tiny_history):
    frame = build_frame(tiny_history, ["P0001", "P0002"])
    latest = DemandForecaster(max_iter=40).fit(frame).latest(frame)
    f = latest["P0001"]
    assert f.origin == "2025-12-31" and f.low <= f.mean <= f.high
    assert stockout_risk("P0001", 0, latest) is (f.mean > 0)
    assert stockout_risk("P0001", 10**6, latest) is False
    fake = {"X": LeadForecast("X", "2025-12-31", 2, mean=8.0, low=5.0, high=12.0)}
    assert stockout_risk("X", 7, fake) and not stockout_risk("X", 9, fake)
    assert stockout_risk("X", 9, fake, upper=True)
    assert stockout_risk("nope", 0, fake) is False
