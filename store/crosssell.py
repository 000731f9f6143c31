"""Bought together ("함께 많이 사는 상품"): association rules over the order history.

Baskets come from `data/customers/orders.jsonl` and, when a database is given, the shared
`orders`/`order_items` tables (orders placed in the app; the seeded ones share ids with the
file and count once). For every ordered pair of products bought in the same basket at least
`min_support` times the model keeps support (baskets with both), confidence P(b | a) and lift.
Suggestions for a set of products rank candidates by the summed confidence of their rules
(lift breaks ties); when the product level has nothing, rules between leaf categories name the
category and its most bought product stands in (labelled `via: "category"`).

    python -m store.crosssell --build                  # write var/crosssell.json (setup runs this)
    python -m store.crosssell --eval --json            # held-out last order of each customer
    python -m store.crosssell --suggest P0412          # what goes with one product

Leaves out: showing the suggestions (assistant/ui), and any stock check (callers filter).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path

DEFAULT_OUT = Path("var") / "crosssell.json"
MIN_SUPPORT = 2


@dataclass(frozen=True)
class Basket:
    order_id: str
    customer_id: str | None
    created_at: str
    items: tuple[str, ...]          # distinct product ids, in order


def read_orders_jsonl(path: str | Path) -> list[Basket]:
    baskets = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        items = tuple(dict.fromkeys(i["product_id"] for i in row["items"]))
        baskets.append(Basket(row["order_id"], row.get("customer_id"), row["created_at"], items))
    return baskets


def read_orders_db(db) -> list[Basket]:
    """Baskets from the shared database (`profiles.connect(path)` object or sqlite3 connection)."""
    conn = getattr(db, "conn", db)
    rows = conn.execute("SELECT o.id, o.customer_id, o.created_at, i.product_id FROM orders o "
                        "JOIN order_items i ON i.order_id = o.id ORDER BY o.created_at, o.id, i.rowid").fetchall()
    grouped: dict[str, list] = {}
    meta: dict[str, tuple] = {}
    for oid, cid, created, pid in rows:
        grouped.setdefault(oid, []).append(pid)
        meta[oid] = (cid, created)
    return [Basket(oid, meta[oid][0], meta[oid][1], tuple(dict.fromkeys(pids))) for oid, pids in grouped.items()]


def merge(*sources: list[Basket]) -> list[Basket]:
    """One basket per order id (the first source wins), sorted by time."""
    seen: dict[str, Basket] = {}
    for source in sources:
        for b in source:
            seen.setdefault(b.order_id, b)
    return sorted(seen.values(), key=lambda b: (b.created_at, b.order_id))


@dataclass
class CrossSell:
    """Association rules product -> product and leaf -> leaf, plus popularity."""

    rules: dict[str, list[tuple[str, int, float, float]]]      # a -> [(b, support, confidence, lift)]
    leaf_rules: dict[str, list[tuple[str, int, float, float]]] = field(default_factory=dict)
    popular: list[str] = field(default_factory=list)           # products by basket count
    leaf_popular: dict[str, list[str]] = field(default_factory=dict)
    baskets: int = 0

    @classmethod
    def fit(cls, baskets: list[Basket], leaf_of: dict[str, str] | None = None,
            min_support: int = MIN_SUPPORT, keep: int = 30) -> "CrossSell":
        leaf_of = leaf_of or {}
        rules = _rules([b.items for b in baskets], min_support, keep)
        leaf_baskets = [tuple(dict.fromkeys(leaf_of[p] for p in b.items if p in leaf_of)) for b in baskets]
        leaf_rules = _rules(leaf_baskets, min_support, keep)
        counts = Counter(p for b in baskets for p in b.items)
        popular = [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        leaf_popular: dict[str, list[str]] = defaultdict(list)
        for p in popular:
            if p in leaf_of:
                leaf_popular[leaf_of[p]].append(p)
        return cls(rules, leaf_rules, popular, dict(leaf_popular), len(baskets))

    def suggest(self, context, k: int = 5, exclude=(), allowed=None, leaf_of: dict[str, str] | None = None
                ) -> list[dict]:
        """Up to k products that go with `context` (ids), best first: {"id", "score", "via", "because"}.
        `allowed(pid) -> bool` filters candidates (stock, allergens); `exclude` ids are never shown."""
        context = list(dict.fromkeys(context))
        skip = set(context) | set(exclude)
        ok = (lambda pid: pid not in skip and (allowed is None or allowed(pid)))
        score: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        because: dict[str, str] = {}
        for a in context:
            for b, _sup, conf, lift in self.rules.get(a, ()):
                if ok(b):
                    score[b][0] += conf
                    score[b][1] = max(score[b][1], lift)
                    because.setdefault(b, a)
        ranked = sorted(score, key=lambda b: (-score[b][0], -score[b][1], b))
        out = [{"id": b, "score": round(score[b][0], 4), "via": "product", "because": because[b]} for b in ranked[:k]]
        if len(out) < k and leaf_of:
            leaf_score: dict[str, float] = defaultdict(float)
            for a in context:
                for leaf, _sup, conf, _lift in self.leaf_rules.get(leaf_of.get(a, ""), ()):
                    leaf_score[leaf] += conf
            taken = {o["id"] for o in out}
            for leaf in sorted(leaf_score, key=lambda lf: (-leaf_score[lf], lf)):
                pid = next((p for p in self.leaf_popular.get(leaf, ()) if ok(p) and p not in taken), None)
                if pid is not None:
                    out.append({"id": pid, "score": round(leaf_score[leaf] * 0.5, 4), "via": "category",
                                "because": leaf})
                    taken.add(pid)
                if len(out) >= k:
                    break
        return out[:k]

    def popular_baseline(self, k: int = 5, exclude=()) -> list[str]:
        skip = set(exclude)
        return [p for p in self.popular if p not in skip][:k]

    def to_dict(self) -> dict:
        return {"baskets": self.baskets, "rules": self.rules, "leaf_rules": self.leaf_rules,
                "popular": self.popular[:500], "leaf_popular": {k: v[:20] for k, v in self.leaf_popular.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "CrossSell":
        def tup(rules):
            return {a: [tuple(r) for r in rs] for a, rs in rules.items()}
        return cls(tup(data["rules"]), tup(data.get("leaf_rules", {})), list(data.get("popular", ())),
                   dict(data.get("leaf_popular", {})), int(data.get("baskets", 0)))


def _rules(baskets, min_support: int, keep: int) -> dict[str, list[tuple[str, int, float, float]]]:
    n = len(baskets)
    single = Counter(x for b in baskets for x in set(b))
    pair: Counter = Counter()
    for b in baskets:
        pair.update(permutations(sorted(set(b)), 2))
    rules: dict[str, list] = defaultdict(list)
    for (a, b), sup in pair.items():
        if sup < min_support:
            continue
        conf = sup / single[a]
        lift = sup * n / (single[a] * single[b])
        rules[a].append((b, sup, round(conf, 4), round(lift, 3)))
    return {a: sorted(rs, key=lambda r: (-r[2], -r[3], r[0]))[:keep] for a, rs in sorted(rules.items())}


# ---- loading for the assistant ------------------------------------------------------------
_CACHE: dict[str, CrossSell] = {}


def load(data_dir: str | Path = "data", path: str | Path | None = None, db=None) -> CrossSell:
    """The built model from `path` when it exists, else fit from the order file (+ db). Cached."""
    key = f"{Path(path) if path else ''}|{Path(data_dir).resolve()}|{id(db) if db is not None else ''}"
    if key in _CACHE:
        return _CACHE[key]
    model = None
    if path is not None and Path(path).exists():
        try:
            model = CrossSell.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            model = None   # a damaged file: refit from the orders below
    if model is None:
        model = build(data_dir, db)
    _CACHE[key] = model
    return model


def leaf_map(data_dir: str | Path) -> dict[str, str]:
    from store.catalog import load_catalog

    return {p.id: p.category for p in load_catalog(Path(data_dir) / "catalog" / "products.jsonl")}


def build(data_dir: str | Path = "data", db=None, min_support: int = MIN_SUPPORT) -> CrossSell:
    baskets = read_orders_jsonl(Path(data_dir) / "customers" / "orders.jsonl")
    if db is not None:
        baskets = merge(baskets, read_orders_db(db))
    return CrossSell.fit(baskets, leaf_map(data_dir), min_support)


def bought_together(product_id: str, catalog: dict | None = None, k: int = 5, model: CrossSell | None = None,
                    data_dir: str | Path = "data", allowed=None) -> list[str]:
    """Ids of up to k products often bought with `product_id` ("함께 많이 사는 상품").
    Used by the assistant after a 담기 and on product answers; `allowed(pid)` filters."""
    model = model or load(data_dir, DEFAULT_OUT if Path(DEFAULT_OUT).exists() else None)
    leaf_of = {pid: p.category for pid, p in catalog.items()} if catalog else None
    return [s["id"] for s in model.suggest([product_id], k=k, allowed=allowed, leaf_of=leaf_of)]


# ---- evaluation -----------------------------------------------------------------------------
def evaluate(baskets: list[Basket], leaf_of: dict[str, str], k: int = 5, min_support: int = MIN_SUPPORT) -> dict:
    """Hold out the last order of each customer; fit on everything else. For every held-out
    basket with >= 2 products, hide each product in turn and ask for k suggestions given the
    rest: a hit when the hidden product is among them. Popularity (the k most bought products
    outside the basket's rest) is the baseline on the same pairs."""
    last: dict[str, Basket] = {}
    for b in baskets:
        if b.customer_id is not None:
            last[b.customer_id] = b   # baskets are time-sorted: the last one wins
    held = {b.order_id for b in last.values()}
    model = CrossSell.fit([b for b in baskets if b.order_id not in held], leaf_of, min_support)
    pairs = hits = pop_hits = any_hits = any_pop = evaluated = 0
    for b in last.values():
        if len(b.items) < 2:
            continue
        evaluated += 1
        basket_hit = basket_pop = False
        for target in b.items:
            rest = [p for p in b.items if p != target]
            sugg = [s["id"] for s in model.suggest(rest, k=k, leaf_of=leaf_of)]
            pop = model.popular_baseline(k, exclude=rest)
            pairs += 1
            hits += target in sugg
            pop_hits += target in pop
            basket_hit |= target in sugg
            basket_pop |= target in pop
        any_hits += basket_hit
        any_pop += basket_pop
    rate = round(hits / pairs, 4) if pairs else 0.0
    pop_rate = round(pop_hits / pairs, 4) if pairs else 0.0
    return {f"hit_rate@{k}": rate, f"popularity_hit_rate@{k}": pop_rate, "customers": evaluated,
            "pairs": pairs, f"basket_hit_rate@{k}": round(any_hits / evaluated, 4) if evaluated else 0.0,
            f"popularity_basket_hit_rate@{k}": round(any_pop / evaluated, 4) if evaluated else 0.0,
            "relative_gain": round(rate / pop_rate - 1, 3) if pop_rate else None,
            "train_baskets": model.baskets, "min_support": min_support}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m store.crosssell", description=__doc__.split("\n\n")[0],
                                     epilog="example: python -m store.crosssell --eval --json")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--build", action="store_true", help="fit the rules and write --out")
    what.add_argument("--eval", action="store_true", help="held-out last order per customer vs popularity")
    what.add_argument("--suggest", metavar="PRODUCT_ID", help="print what goes with one product")
    parser.add_argument("--data", default="data", help="data folder (default: data)")
    parser.add_argument("--db", help="also read orders placed in the app from this SQLite file")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="model file (default: var/crosssell.json)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--min-support", type=int, default=MIN_SUPPORT)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    data = Path(args.data)
    if not (data / "customers" / "orders.jsonl").exists():
        print(f"오류: 주문 파일이 없어요: {data / 'customers' / 'orders.jsonl'}", file=sys.stderr)
        return 2
    db = None
    if args.db:
        if not Path(args.db).exists():
            print(f"오류: 데이터베이스 파일이 없어요: {args.db}", file=sys.stderr)
            return 2
        from profiles import connect

        db = connect(args.db)
    if args.eval:
        baskets = read_orders_jsonl(data / "customers" / "orders.jsonl")
        result = evaluate(baskets, leaf_map(data), args.k, args.min_support)
        print(json.dumps(result, ensure_ascii=False) if args.json else
              "\n".join(f"{k}: {v}" for k, v in result.items()))
        return 0
    model = build(data, db, args.min_support)
    if args.build:
        from store.datagen.writers import write_bytes

        write_bytes(Path(args.out), json.dumps(model.to_dict(), ensure_ascii=False).encode("utf-8"))
        summary = {"baskets": model.baskets, "products_with_rules": len(model.rules), "out": args.out}
        print(json.dumps(summary, ensure_ascii=False) if args.json else
              f"baskets {model.baskets}, products with rules {len(model.rules)} -> {args.out}")
        return 0
    leaf_of = leaf_map(data)
    out = model.suggest([args.suggest], k=args.k, leaf_of=leaf_of)
    print(json.dumps(out, ensure_ascii=False) if args.json else "\n".join(f"{s['id']} {s['score']} {s['via']}"
                                                                          for s in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
