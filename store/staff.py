"""Staff view data: forecast chart, reorder suggestions, low-stock (품절 임박) alerts.

Pure functions returning data (pandas DataFrames, frozen dataclasses) and matplotlib
`Figure`s built without pyplot (no global state, safe per browser session); the Gradio
page only shows them. Hangul in charts uses NanumGothic from the `koreanize-matplotlib`
wheel when installed (its file only; the package itself is never imported because it
changes global matplotlib settings on import).

Leaves out: the PIN gate and the page layout (`app.py`), forecasting (`store.forecast`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from store.forecast import LeadForecast, stockout_risk

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from store.history import History
    from store.stock import ProductLike

REORDER_COLUMNS = ("상품ID", "상품명", "현재재고", "리드타임(일)", "예측수요", "예측상한(90%)",
                   "안전재고", "권장발주량", "품절임박")


@dataclass(frozen=True)
class StockAlert:
    product_id: str
    name: str
    stock: int
    forecast: float
    lead_time: int
    shortfall: float
    message: str


def _name(catalog: Mapping[str, "ProductLike"], pid: str) -> str:
    p = catalog.get(pid)
    return p.name if p is not None else pid


def reorder_table(forecasts: Mapping[str, LeadForecast], levels: Mapping[str, int],
                  catalog: Mapping[str, "ProductLike"],
                  safety_stock: Mapping[str, int] | None = None) -> "pd.DataFrame":
    """Tonight's order suggestion per forecast product, largest order first.

    Safety stock defaults to the width of the upper interval (90% bound - mean), and the
    suggestion is max(0, ceil(forecast + safety stock - stock)).
    """
    import pandas as pd

    rows = []
    for pid, f in forecasts.items():
        stock = int(levels.get(pid, 0))
        ss = int(safety_stock[pid]) if safety_stock and pid in safety_stock else int(math.ceil(max(f.high - f.mean, 0)))
        order = max(0, math.ceil(f.mean + ss - stock - 1e-9))
        rows.append((pid, _name(catalog, pid), stock, f.lead_time, round(f.mean, 1), round(f.high, 1), ss,
                     order, "예" if stockout_risk(pid, stock, forecasts) else ""))
    frame = pd.DataFrame(rows, columns=list(REORDER_COLUMNS))
    return frame.sort_values(["권장발주량", "상품ID"], ascending=[False, True], kind="stable").reset_index(drop=True)


def low_stock_alerts(forecasts: Mapping[str, LeadForecast], levels: Mapping[str, int],
                     catalog: Mapping[str, "ProductLike"]) -> list[StockAlert]:
    """Products whose forecast demand until the next delivery exceeds their stock,
    biggest shortfall first."""
    alerts = []
    for pid, f in forecasts.items():
        stock = int(levels.get(pid, 0))
        if not stockout_risk(pid, stock, forecasts):
            continue
        name = _name(catalog, pid)
        msg = (f"품절 임박: {name} — 재고 {stock}개, 다음 입고({f.lead_time}일 후)까지 "
               f"예상 판매 {f.mean:.0f}개")
        alerts.append(StockAlert(pid, name, stock, round(f.mean, 1), f.lead_time, round(f.mean - stock, 1), msg))
    return sorted(alerts, key=lambda a: (-a.shortfall, a.product_id))


def alerts_frame(alerts: list[StockAlert]) -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame([(a.product_id, a.name, a.stock, a.forecast, a.lead_time, a.message) for a in alerts],
                        columns=["상품ID", "상품명", "현재재고", "예측수요", "리드타임(일)", "알림"])


@lru_cache(maxsize=1)
def korean_font() -> str | None:
    """Family name of a Hangul font registered with matplotlib, or None."""
    import importlib.util

    from matplotlib import font_manager

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is not None and spec.submodule_search_locations:
        ttf = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "NanumGothic.ttf"
        if ttf.exists():
            font_manager.fontManager.addfont(str(ttf))
            return font_manager.FontProperties(fname=str(ttf)).get_name()
    for f in font_manager.fontManager.ttflist:
        if any(k in f.name for k in ("Nanum", "Noto Sans CJK", "Noto Sans KR", "Malgun", "AppleGothic")):
            return f.name
    return None


def forecast_chart(history: "History", product_id: str, predictions: "pd.DataFrame",
                   latest: LeadForecast | None = None, name: str = "", days: int = 90) -> "Figure":
    """Two panels: daily sales of the last `days` days, and the lead-time demand (actual)
    against the forecast with its 10-90% band, ending in tonight's forecast.

    `predictions`: rows of `DemandForecaster.predict_frame` (or backtest output) with
    product_id, origin, y, pred and optionally low/high.
    """
    import matplotlib
    import pandas as pd
    from matplotlib.figure import Figure

    family = korean_font()
    rc = {"axes.unicode_minus": False, **({"font.family": family} if family else {})}
    sales = history.sales[history.sales["product_id"] == product_id].sort_values("date")
    end = sales["date"].max() if len(sales) else pd.Timestamp.today()
    recent = sales[sales["date"] > end - pd.Timedelta(days=days)]
    pred = predictions[predictions["product_id"] == product_id].sort_values("origin")
    pred = pred[pred["origin"] > end - pd.Timedelta(days=days)]
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(9, 5.5), layout="constrained")
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        ax1.bar(recent["date"], recent["qty"], color="#9bb7d4", label="일별 판매량")
        if "promo" in recent and recent["promo"].any():
            promo = recent[recent["promo"].astype(bool)]
            ax1.scatter(promo["date"], promo["qty"], s=10, color="#d62728", label="행사", zorder=3)
        ax1.plot(recent["date"], recent["qty"].rolling(7, min_periods=1).mean(), color="#1f4e79", label="7일 이동평균")
        ax1.set_ylabel("판매량(개)")
        ax1.legend(loc="upper left", fontsize=8)
        ax1.set_title(f"{name or product_id} 판매 이력과 리드타임 수요 예측")
        if "low" in pred and len(pred):
            ax2.fill_between(pred["origin"], pred["low"], pred["high"], color="#f4b183", alpha=0.45,
                             label="예측 구간(10-90%)")
        if len(pred):
            ax2.plot(pred["origin"], pred["y"], color="#404040", lw=1.2, label="실제 리드타임 수요")
            ax2.plot(pred["origin"], pred["pred"], color="#c55a11", lw=1.5, label="예측")
        if latest is not None:
            x = pd.Timestamp(latest.origin)
            ax2.errorbar([x], [latest.mean], yerr=[[latest.mean - latest.low], [latest.high - latest.mean]],
                         fmt="o", color="#c00000", capsize=4, label=f"오늘 밤 예측({latest.lead_time}일)")
        ax2.set_ylabel("리드타임 수요(개)")
        ax2.legend(loc="upper left", fontsize=8)
        fig.autofmt_xdate()
    return fig


def staff_snapshot(var_dir: Path, levels: Mapping[str, int], catalog: Mapping[str, "ProductLike"],
                   product_id: str | None = None, db=None) -> dict:
    """Everything the staff page shows, from the files setup writes under `var_dir`
    (`history/`, `forecast/latest.csv`, `forecast/recent.csv`).

    Returns {"figure", "reorder" (DataFrame), "alerts" (list[StockAlert]), "alerts_markdown",
    "product_id"}; raises HistoryError (Korean `.user_message`) when setup has not run.
    """
    import pandas as pd

    from store.forecast import load_latest
    from store.history import load

    var_dir = Path(var_dir)
    forecasts = load_latest(var_dir / "forecast" / "latest.csv")
    history = load(var_dir / "history", db=db)
    alerts = low_stock_alerts(forecasts, levels, catalog)
    table = reorder_table(forecasts, levels, catalog)
    pid = product_id or (alerts[0].product_id if alerts else (table["상품ID"].iloc[0] if len(table) else None))
    recent_path = var_dir / "forecast" / "recent.csv"
    predictions = (pd.read_csv(recent_path, parse_dates=["origin"]) if recent_path.exists()
                   else pd.DataFrame(columns=["product_id", "origin", "y", "pred"]))
    figure = forecast_chart(history, pid, predictions, forecasts.get(pid), name=_name(catalog, pid)) if pid else None
    lines = [f"- ⚠️ {a.message}" for a in alerts[:10]] or ["- 품절 임박 상품이 없어요."]
    md = f"### 품절 임박 알림 ({len(alerts)}건)\n" + "\n".join(lines)
    return {"figure": figure, "reorder": table, "alerts": alerts, "alerts_markdown": md, "product_id": pid}
