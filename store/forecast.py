"""Lead-time demand forecasting: seasonal-naive baseline, one global gradient-boosting
model across products, forward-chaining backtests, and the 품절 임박 check.

Metrics are RMSE, MAE, sMAPE (zeros handled: a day where both the forecast and the
actual are 0 counts as a perfect 0) and R2. Plain MAPE is not offered: it divides by
zero sales (the seed's reported MAPE of 9e17 is that failure).

Commands (need `python -m store.history build` first):
    python -m store.forecast --backtest --top 50 --json      # learned vs naive per product
    python -m store.forecast --fit --top 200                 # var/forecast/latest.csv for the app

Leaves out: feature construction (`store.forecast_features`), reorder policy (`store.simulate`).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from store._io import atomic_write

if TYPE_CHECKING:
    import pandas as pd

    from store.history import History

DEFAULT_OUT = Path("var/forecast")
QUANTILES = (0.1, 0.9)


# -- metrics --------------------------------------------------------------------------
def mae(y: Sequence[float], p: Sequence[float]) -> float:
    return float(np.mean(np.abs(np.asarray(y, float) - np.asarray(p, float))))


def rmse(y: Sequence[float], p: Sequence[float]) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(p, float)) ** 2)))


def smape(y: Sequence[float], p: Sequence[float]) -> float:
    """Symmetric MAPE in percent, 0..200; a term with y = p = 0 counts as 0.

    >>> smape([0, 10], [0, 30])
    50.0
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    denom = np.abs(y) + np.abs(p)
    terms = np.divide(2 * np.abs(y - p), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100 * terms.mean())


def r2(y: Sequence[float], p: Sequence[float]) -> float:
    """Coefficient of determination; 0.0 when `y` is constant and predicted exactly."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    ss_res = float(((y - p) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    if ss_tot == 0:
        return 0.0 if ss_res == 0 else float("-inf")
    return 1.0 - ss_res / ss_tot


def metrics(y: Sequence[float], p: Sequence[float]) -> dict[str, float]:
    return {"rmse": rmse(y, p), "mae": mae(y, p), "smape": smape(y, p), "r2": r2(y, p)}


# -- models ---------------------------------------------------------------------------
def _make_model(loss: str = "absolute_error", quantile: float | None = None, seed: int = 0,
                max_iter: int | None = None):
    from sklearn.ensemble import HistGradientBoostingRegressor

    # Absolute error: the point forecast is judged on MAE. Quantile models (intervals
    # only) get fewer, larger steps: they are the slowest part of a fit.
    kw = ({"loss": "quantile", "quantile": quantile, "max_iter": 150, "learning_rate": 0.1}
          if quantile is not None else {"loss": loss, "max_iter": 300, "learning_rate": 0.06})
    if max_iter:
        kw["max_iter"] = max_iter
    return HistGradientBoostingRegressor(max_leaf_nodes=31,
                                         min_samples_leaf=40, l2_regularization=1.0,
                                         categorical_features=[_feature_index("weekday")],
                                         random_state=seed, **kw)


def _feature_index(name: str) -> int:
    from store.forecast_features import FEATURES

    return FEATURES.index(name)


def _xy(frame: "pd.DataFrame") -> tuple[np.ndarray, np.ndarray]:
    from store.forecast_features import FEATURES

    return frame[list(FEATURES)].to_numpy(dtype=float), (frame["y"] / frame["norm"]).to_numpy(dtype=float)


@dataclass(frozen=True)
class LeadForecast:
    """Forecast demand over the lead time after `origin` (mean and a 10-90% interval)."""

    product_id: str
    origin: str
    lead_time: int
    mean: float
    low: float
    high: float


class DemandForecaster:
    """One global model (plus two quantile models) over normalized lead-time demand."""

    def __init__(self, quantiles: bool = True, seed: int = 0, max_iter: int | None = None) -> None:
        self.quantiles = quantiles
        self.seed = seed
        self.max_iter = max_iter  # None = the defaults of `_make_model`; tests use a few dozen
        self.models: dict[str, object] = {}

    def fit(self, frame: "pd.DataFrame", train_days: int | None = None) -> "DemandForecaster":
        """Fit on rows with a known target; `train_days` keeps only the most recent origins."""
        train = frame.dropna(subset=["y", "naive"])
        if train_days:
            train = train[train["origin"] > train["origin"].max() - np.timedelta64(train_days, "D")]
        x, y = _xy(train)
        self.models["mean"] = _make_model(seed=self.seed, max_iter=self.max_iter).fit(x, y)
        if self.quantiles:
            for q in QUANTILES:
                self.models[f"q{q}"] = _make_model(quantile=q, seed=self.seed, max_iter=self.max_iter).fit(x, y)
        return self

    def predict(self, frame: "pd.DataFrame", which: str = "mean") -> np.ndarray:
        x, _ = _xy(frame)
        return np.clip(self.models[which].predict(x), 0, None) * frame["norm"].to_numpy()

    def predict_frame(self, frame: "pd.DataFrame") -> "pd.DataFrame":
        """`frame` plus columns `pred`, and `low`/`high` when quantile models exist."""
        out = frame[["product_id", "origin", "lead", "y", "naive"]].copy()
        out["pred"] = self.predict(frame)
        if self.quantiles:
            lo, hi = (self.predict(frame, f"q{q}") for q in QUANTILES)
            out["low"], out["high"] = np.minimum(lo, out["pred"]), np.maximum(hi, out["pred"])
        return out

    def latest(self, frame: "pd.DataFrame") -> dict[str, LeadForecast]:
        """Tonight's forecast per product: the rows at the last origin."""
        last = frame[frame["origin"] == frame["origin"].max()]
        pred = self.predict_frame(last)
        return {r.product_id: LeadForecast(r.product_id, f"{r.origin:%Y-%m-%d}", int(r.lead), float(r.pred),
                                           float(getattr(r, "low", r.pred)), float(getattr(r, "high", r.pred)))
                for r in pred.itertuples(index=False)}


def backtest(frame: "pd.DataFrame", folds: int = 4, test_days: int = 91, quantiles: bool = False,
             progress: bool = False, max_iter: int | None = None) -> "pd.DataFrame":
    """Forward-chaining: for each of `folds` consecutive test blocks at the end, fit on
    origins whose targets were fully observed before the block, predict the block.
    Returns out-of-sample rows (product_id, origin, lead, y, naive, pred[, low, high])."""
    import pandas as pd

    known = frame.dropna(subset=["y", "naive"])
    origins = np.sort(known["origin"].unique())
    blocks = []
    starts = [origins[-(folds - k) * test_days] for k in range(folds)]
    it = range(folds)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc="backtest folds", file=sys.stderr)
    for k in it:
        start = starts[k]
        end = starts[k + 1] if k + 1 < folds else origins[-1] + np.timedelta64(1, "D")
        target_end = known["origin"] + pd.to_timedelta(known["lead"], unit="D")
        train = known[target_end < start]
        test = known[(known["origin"] >= start) & (known["origin"] < end)]
        model = DemandForecaster(quantiles=quantiles, max_iter=max_iter).fit(train)
        blocks.append(model.predict_frame(test))
    return pd.concat(blocks, ignore_index=True)


def score(predictions: "pd.DataFrame") -> dict:
    """Per-product metrics of the learned model and seasonal naive, plus the summary."""
    per = {}
    for pid, g in predictions.groupby("product_id", sort=True):
        learned, naive = metrics(g["y"], g["pred"]), metrics(g["y"], g["naive"])
        per[pid] = {"lead_time": int(g["lead"].iloc[0]), "n": len(g),
                    "learned": {k: round(v, 4) for k, v in learned.items()},
                    "naive": {k: round(v, 4) for k, v in naive.items()},
                    "learned_beats_naive": learned["mae"] < naive["mae"]}
    k = sum(v["learned_beats_naive"] for v in per.values())
    total = {name: metrics(predictions["y"], predictions[col]) for name, col in (("learned", "pred"), ("naive", "naive"))}
    return {"products": len(per), "learned_beats_naive": k,
            "share_beats_naive": round(k / max(len(per), 1), 4),
            "overall": {m: {k2: round(v2, 4) for k2, v2 in d.items()} for m, d in total.items()},
            "per_product": per}


def stockout_risk(product_id: str, stock: int, forecasts: Mapping[str, LeadForecast],
                  upper: bool = False) -> bool:
    """True ("품절 임박") when the demand forecast until the next delivery (an order placed
    tonight arrives after the lead time) exceeds `stock`. `upper=True` uses the 90%
    bound instead of the mean. Unknown products are never flagged."""
    f = forecasts.get(product_id)
    if f is None:
        return False
    return (f.high if upper else f.mean) > stock


def top_products(history: "History", top: int) -> list[str]:
    """The `top` best-selling products of the history (units over the whole period)."""
    units = history.sales.groupby("product_id")["qty"].sum().sort_values(ascending=False, kind="stable")
    return list(units.index[:top]) if top else list(units.index)



def load_latest(path: Path = DEFAULT_OUT / "latest.csv") -> dict[str, LeadForecast]:
    """Read the forecasts written by `python -m store.forecast --fit` ({} when missing)."""
    import csv

    if not Path(path).exists():
        return {}
    with open(path, encoding="utf-8") as fh:
        return {r["product_id"]: LeadForecast(r["product_id"], r["origin"], int(r["lead_time"]),
                                              float(r["mean"]), float(r["low"]), float(r["high"]))
                for r in csv.DictReader(fh)}


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m store.forecast", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Backtest the lead-time demand forecaster or fit it for the app.",
        epilog="examples:\n  python -m store.forecast --backtest --top 50 --json\n"
               "  python -m store.forecast --fit --top 200")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--backtest", action="store_true", help="forward-chaining backtest vs seasonal naive")
    mode.add_argument("--fit", action="store_true", help="fit on all history, write latest forecasts")
    p.add_argument("--top", type=int, default=50, help="best-selling N products (0 = all)")
    p.add_argument("--history", type=Path, default=Path("var/history"))
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--folds", type=int, default=4)
    p.add_argument("--train-days", type=int, default=540, help="--fit: most recent N days of origins to train on")
    p.add_argument("--json", action="store_true", help="print the full JSON report")
    return p


def main(argv: Iterable[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    import pandas as pd

    from store.forecast_features import build_frame
    from store.history import load

    history = load(args.history)
    frame = build_frame(history, top_products(history, args.top))
    if args.backtest:
        preds = backtest(frame, folds=args.folds, progress=True)
        report = score(preds)
        atomic_write(args.out / "backtest.csv", lambda t: preds.to_csv(t, index=False))
        if args.json:
            print(json.dumps(report, ensure_ascii=False, indent=1))
        else:
            print(f"learned beats naive on MAE for {report['learned_beats_naive']}/{report['products']} products; "
                  f"overall MAE {report['overall']['learned']['mae']:.2f} vs {report['overall']['naive']['mae']:.2f}")
        return 0
    model = DemandForecaster().fit(frame, train_days=args.train_days)
    latest = model.latest(frame)
    rows = pd.DataFrame([asdict(f) for f in latest.values()])
    atomic_write(args.out / "latest.csv", lambda t: rows.to_csv(t, index=False))
    recent = model.predict_frame(frame[frame["origin"] > frame["origin"].max() - pd.Timedelta(days=120)])
    atomic_write(args.out / "recent.csv", lambda t: recent.to_csv(t, index=False))
    print(json.dumps({"products": len(latest), "origin": rows["origin"].iloc[0] if len(rows) else None,
                      "written": str(args.out / "latest.csv")}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
