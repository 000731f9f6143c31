"""Staff view: reorder table, 품절 임박 alerts, forecast chart, sales from real orders."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from database import open_database
from store.forecast import LeadForecast
from store.history import History, daily_sales_from_orders
from store.orders import checkout
from store.staff import REORDER_COLUMNS, alerts_frame, forecast_chart, low_stock_alerts, reorder_table
from store.stock import StockLedger


@dataclass(frozen=True)
class Prod:
    id: str
    name: str
    price: int = 1000

    @property
    def effective_price(self) -> int:
        return self.price


CATALOG = {"P1": Prod("P1", "사과"), "P2": Prod("P2", "배"), "P3": Prod("P3", "귤")}
FORECASTS = {"P1": LeadForecast("P1", "2026-11-20", 2, 10.0, 6.0, 14.2),
             "P2": LeadForecast("P2", "2026-11-20", 1, 3.0, 1.0, 5.0),
             "P3": LeadForecast("P3", "2026-11-20", 3, 20.0, 15.0, 26.0)}
LEVELS = {"P1": 4, "P2": 30, "P3": 19}


def test_reorder_table_suggests_forecast_plus_safety_minus_stock():
    t = reorder_table(FORECASTS, LEVELS, CATALOG)
    assert list(t.columns) == list(REORDER_COLUMNS)
    row = t.set_index("상품ID").loc["P1"]
    assert (row["안전재고"], row["권장발주량"], row["품절임박"]) == (5, 11, "예")   # ceil(10 + 5 - 4)
    assert t.set_index("상품ID").loc["P2", "권장발주량"] == 0
    assert t["상품ID"].tolist()[0] == "P1"                                       # largest order first
    fixed = reorder_table(FORECASTS, LEVELS, CATALOG, safety_stock={"P1": 0})
    assert fixed.set_index("상품ID").loc["P1", "권장발주량"] == 6


def test_low_stock_alerts_are_sorted_korean_messages():
    alerts = low_stock_alerts(FORECASTS, LEVELS, CATALOG)
    assert [a.product_id for a in alerts] == ["P1", "P3"]
    assert alerts[0].message.startswith("품절 임박: 사과") and "재고 4개" in alerts[0].message
    assert len(alerts_frame(alerts)) == 2


def _history():
    dates = pd.date_range("2026-08-01", "2026-11-20")
    sales = pd.DataFrame({"date": dates, "product_id": "P1", "qty": [i % 7 for i in range(len(dates))],
                          "promo": [i % 30 == 0 for i in range(len(dates))]})
    daily = pd.DataFrame({"date": dates, "visits": 1000, "fuel_price": 1650.0})
    return History(sales, daily, {"P1": 1000})


def test_forecast_chart_renders_png(tmp_path):
    hist = _history()
    origins = hist.sales["date"].iloc[-40:]
    preds = pd.DataFrame({"product_id": "P1", "origin": origins, "y": 6.0, "pred": 5.5, "low": 3.0, "high": 8.0})
    fig = forecast_chart(hist, "P1", preds, FORECASTS["P1"], name="사과", days=60)
    assert len(fig.axes) == 2 and "사과" in fig.axes[0].get_title()
    out = tmp_path / "chart.png"
    fig.savefig(out, dpi=50)
    assert out.stat().st_size > 5000


def test_daily_sales_from_orders():
    db = open_database(":memory:")
    assert daily_sales_from_orders(db).empty
    StockLedger(db).receive("P1", 10)
    checkout(db, None, [("P1", 2)], CATALOG, now=dt.datetime(2026, 11, 21, 10))
    checkout(db, None, [("P1", 3)], CATALOG, now=dt.datetime(2026, 11, 21, 15))
    checkout(db, None, [("P1", 1)], CATALOG, now=dt.datetime(2026, 11, 22, 9))
    got = daily_sales_from_orders(db)
    assert got["qty"].tolist() == [5, 1]
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-21", "2026-11-22"]


def test_load_appends_real_orders_after_synthetic_end(tmp_path):
    from store.history import load, save

    save(_history(), tmp_path)
    db = open_database(":memory:")
    StockLedger(db).receive("P1", 10)
    checkout(db, None, [("P1", 4)], CATALOG, now=dt.datetime(2026, 11, 21, 10))
    checkout(db, None, [("P1", 1)], CATALOG, now=dt.datetime(2026, 11, 20, 10))  # inside synthetic span: ignored
    h = load(tmp_path, db=db)
    assert h.sales["date"].max() == pd.Timestamp("2026-11-21")
    assert h.sales.loc[h.sales["date"] == "2026-11-21", "qty"].tolist() == [4]
    assert len(h.sales) == len(_history().sales) + 1 and h.prices == {"P1": 1000}


def test_real_orders_reach_the_feature_rows(tmp_path):
    from store.calendar_kr import is_closed
    from store.history import generate, load, save

    @dataclass(frozen=True)
    class P(Prod):
        category: str = "식품/과일/사과"
        review_count: int = 10

    save(generate([P("P1", "사과")], start=dt.date(2026, 8, 1), end=dt.date(2026, 11, 20), top=1), tmp_path)
    db = open_database(":memory:")
    StockLedger(db).receive("P1", 10)
    checkout(db, None, [("P1", 4)], CATALOG, now=dt.datetime(2026, 11, 22, 10))
    h = load(tmp_path, db=db)
    assert h.daily["date"].max() == pd.Timestamp("2026-11-22") and not is_closed(dt.date(2026, 11, 22))
    from store.forecast_features import build_frame

    frame = build_frame(h, ["P1"])
    assert frame["origin"].max() == pd.Timestamp("2026-11-22")
    assert frame.loc[frame["origin"] == "2026-11-22", "last_n"].iloc[0] > 0
