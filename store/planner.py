"""Shopping plans: a basket for an occasion ("삼겹살 파티 4인", "일주일 자취 식단", "김장 20포기")
within a budget, solved as a small mixed-integer program with `scipy.optimize.milp` (HiGHS).

The occasion table is data (`data/store/occasions.json`, checked by `validate_occasions`, which
`python -m store.catalog validate` runs): each occasion lists roles (메인 고기, 쌈채소, 쌈장, 음료,
...) with candidate leaf categories, optional name words, an amount per person (or per 포기) in
g / ml / pieces, and a priority 3 (must) / 2 (should) / 1 (nice).

The program, per candidate product j of role r (n_j units, x_j chosen, y_r role covered):

    maximize   sum_r W[priority_r] * y_r  +  sum_j pref_j * x_j  -  0.3 * sum_j price_j * n_j / B
    subject to sum_j price_j * n_j <= budget                      (when a budget is given)
               sum_{j in r} size_j * n_j >= need_r * y_r          (quantity scaled to the party)
               n_j <= cap_j * x_j, cap_j <= stock_j               (stock)
               sum_{j in r} x_j <= 1;  sum_{r} x_{j,r} <= 1       (one product per role, one role per product)
               x_j <= sum of anchors a with j in bought_together(a)   (the "함께 많이 사는 상품" role)

A role marked main (메인 고기 for 삼겹살 파티) is a hard constraint y_main = 1: a party plan
without the meat is no plan, so a budget below it gives an empty plan that says so.
W = {3: 1000, 2: 100, 1: 10}: any must-role outweighs all should-roles together, and so on,
so coverage comes first, then pref_j (rating and the customer's category/brand affinity in 0..1,
+0.2 when the product is often bought with a candidate of the main role; summed over at most 8
roles < 10), then a small saving. Allergens, diet tags, disliked
brands and stock remove candidates before the solver sees them; a role left without
candidates is reported with that reason, one dropped by the budget with "예산".

Leaves out: reading the request (assistant/plans_intent.py) and adding to the cart (assistant).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

MEASURES = ("g", "ml", "count")
WEIGHT = {3: 1000.0, 2: 100.0, 1: 10.0}
COST_WEIGHT = 0.3
MAX_UNITS = 30
TOGETHER_BONUS = 0.2     # pref + bonus <= 1.2 per role, 8 roles < 10 = the lowest role weight


class OccasionError(ValueError):
    def __init__(self, errors: list[str], source: str = "occasions.json") -> None:
        self.errors = list(errors)
        super().__init__(f"invalid occasion table {source}: " + "; ".join(self.errors[:5]))

    @property
    def user_message(self) -> str:
        return "장보기 계획 표에 오류가 있어 계획을 만들 수 없어요. 관리자에게 문의해 주세요."


@dataclass(frozen=True)
class Role:
    role: str
    categories: tuple[str, ...]
    measure: str
    amount: float                   # per unit of scale (person, 포기); 0 = one pack
    priority: int
    name_any: tuple[str, ...] = ()
    source: str = "catalog"         # or "crosssell": candidates bought together with `anchor`
    anchor: str | None = None
    main: bool = False              # the plan always holds this role, or there is no plan


@dataclass(frozen=True)
class Occasion:
    id: str
    name: str
    scale: str                      # "명" or "포기"
    default_scale: int
    triggers: tuple[str, ...]
    roles: tuple[Role, ...]


def validate_occasions(data: object, leaf_categories: Iterable[str] | None = None) -> list[str]:
    """Problems of an occasions.json object as "occasions[i] ...: reason" strings."""
    leaves = set(leaf_categories) if leaf_categories is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("occasions"), list) or not data["occasions"]:
        return ["top level needs a non-empty 'occasions' list"]
    errors: list[str] = []
    ids: set[str] = set()
    for i, occ in enumerate(data["occasions"]):
        at = f"occasions[{i}]"
        if not isinstance(occ, dict):
            errors.append(f"{at}: not an object")
            continue
        for key, kind in (("id", str), ("name", str), ("scale", str), ("default_scale", int),
                          ("triggers", list), ("roles", list)):
            if not isinstance(occ.get(key), kind) or isinstance(occ.get(key), bool):
                errors.append(f"{at}: {key} missing or not {kind.__name__}")
        if errors and errors[-1].startswith(at):
            continue
        at = f"{at} ({occ['id']})"
        if occ["id"] in ids:
            errors.append(f"{at}: duplicate id")
        ids.add(occ["id"])
        if occ["scale"] not in ("명", "포기"):
            errors.append(f"{at}: scale must be 명 or 포기")
        if not 1 <= occ["default_scale"] <= 100:
            errors.append(f"{at}: default_scale out of 1..100")
        if not occ["triggers"] or not all(isinstance(t, str) and t.strip() for t in occ["triggers"]):
            errors.append(f"{at}: triggers must be non-empty strings")
        names = [r.get("role") for r in occ["roles"] if isinstance(r, dict)]
        if sum(1 for r in occ["roles"] if isinstance(r, dict) and r.get("main")) > 1:
            errors.append(f"{at}: at most one main role")
        if not occ["roles"] or len(names) != len(set(names)):
            errors.append(f"{at}: roles empty or role names repeated")
        for j, r in enumerate(occ["roles"]):
            rat = f"{at}.roles[{j}]"
            if not isinstance(r, dict) or not isinstance(r.get("role"), str) or not r["role"].strip():
                errors.append(f"{rat}: needs a role name")
                continue
            rat = f"{at}.{r['role']}"
            if r.get("measure") not in MEASURES:
                errors.append(f"{rat}: measure must be one of {MEASURES}")
            amount = r.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount <= 100_000:
                errors.append(f"{rat}: amount must be a number within 0..100000")
            if r.get("priority") not in (1, 2, 3):
                errors.append(f"{rat}: priority must be 1, 2 or 3")
            if r.get("source", "catalog") == "crosssell":
                if r.get("anchor") not in names or r.get("anchor") == r["role"]:
                    errors.append(f"{rat}: crosssell role needs another role as anchor")
                continue
            if r.get("source", "catalog") != "catalog":
                errors.append(f"{rat}: source must be catalog or crosssell")
            cats = r.get("categories")
            if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats):
                errors.append(f"{rat}: categories must be a non-empty list of leaf paths")
            elif leaves is not None:
                errors += [f"{rat}: unknown leaf category {c!r}" for c in cats if c not in leaves]
            if not isinstance(r.get("name_any", []), list):
                errors.append(f"{rat}: name_any must be a list")
    return errors


def parse_occasions(data: dict) -> list[Occasion]:
    out = []
    for occ in data["occasions"]:
        roles = tuple(Role(role=r["role"], categories=tuple(r.get("categories", ())), measure=r["measure"],
                           amount=float(r["amount"]), priority=int(r["priority"]),
                           name_any=tuple(r.get("name_any", ())), source=r.get("source", "catalog"),
                           anchor=r.get("anchor"), main=bool(r.get("main"))) for r in occ["roles"])
        out.append(Occasion(occ["id"], occ["name"], occ["scale"], int(occ["default_scale"]),
                            tuple(occ["triggers"]), roles))
    return out


def load_occasions(path: str | Path = "data/store/occasions.json",
                   leaf_categories: Iterable[str] | None = None) -> list[Occasion]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OccasionError([f"{path}: cannot read ({exc})"], str(path)) from exc
    errors = validate_occasions(data, leaf_categories)
    if errors:
        raise OccasionError(errors, str(path))
    return parse_occasions(data)


def match_occasion(text: str, occasions: list[Occasion]) -> Occasion | None:
    """The occasion whose longest trigger occurs in `text` (spaces ignored), or None."""
    flat = re.sub(r"\s+", "", text)
    best, best_len = None, 0
    for occ in occasions:
        for t in occ.triggers:
            key = re.sub(r"\s+", "", t)
            if key and key in flat and len(key) > best_len:
                best, best_len = occ, len(key)
    return best


# ---- sizes from unit labels ------------------------------------------------------------------
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|g|ml|mL|L|l)(?![a-zA-Z])")
_MULT = re.compile(r"[xX×]\s*(\d+)")
_COUNT = re.compile(r"(\d+)\s*(개입|개|입|구|봉|캔|병|팩|매|포기|통|세트|송이|롤|캡슐|정|포|호)")


def unit_size(unit: str, measure: str) -> float | None:
    """How much one pack holds in `measure` (g, ml or pieces); None when the label does not say.

    >>> unit_size("355ml x 24캔", "ml"), unit_size("1통 7kg", "g"), unit_size("210g x 24입", "count")
    (8520.0, 7000.0, 24.0)
    >>> unit_size("1.5L 1병", "ml"), unit_size("쌈장 450g", "count"), unit_size("30구", "count")
    (1500.0, 1.0, 30.0)
    """
    mult_m = _MULT.search(unit)
    mult = int(mult_m.group(1)) if mult_m else 1
    if measure == "count":
        if mult_m:
            return float(mult)
        m = _COUNT.search(unit)
        return float(m.group(1)) if m and m.group(2) != "호" else 1.0
    m = _SIZE.search(unit)
    if not m:
        return None
    value, u = float(m.group(1)), m.group(2)
    value *= 1000 if u in ("kg", "L", "l") else 1
    return value * mult   # g and ml are read alike (1 ml ~ 1 g) so a drink role takes either


# ---- the plan ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanLine:
    id: str
    name: str
    role: str
    qty: int
    unit_price: int
    line_total: int


@dataclass
class Plan:
    occasion: str
    occasion_name: str
    scale: int
    scale_word: str
    budget: int | None
    lines: list[PlanLine]
    total: int
    left_out: list[dict]            # {"role", "reason", "priority"}
    status: str                     # "optimal" | "partial" | "empty"
    needs: dict[str, str] = field(default_factory=dict)   # role -> "1,000g" (what was aimed for)

    def to_json(self) -> dict:
        """The CLI JSON shape: {"items": [{"id", "qty", "role"}], "total", "budget", "left_out"}."""
        return {"occasion": self.occasion, "name": self.occasion_name, "scale": self.scale,
                "scale_word": self.scale_word,
                "items": [{"id": ln.id, "qty": ln.qty, "role": ln.role, "name": ln.name,
                           "unit_price": ln.unit_price, "line_total": ln.line_total} for ln in self.lines],
                "total": self.total, "budget": self.budget, "left_out": self.left_out, "status": self.status}


@dataclass(frozen=True)
class Shopper:
    """What the plan must respect and what it prefers (from the turn and the profile)."""

    exclude_allergens: frozenset[str] = frozenset()
    required_tags: frozenset[str] = frozenset()      # diet tags; apply to food only
    disliked_brands: frozenset[str] = frozenset()
    category_affinity: dict = field(default_factory=dict)   # "top/mid" or category prefix -> -1..1
    brand_affinity: dict = field(default_factory=dict)


def _is_food(category: str) -> bool:
    from store._rules import is_food_category

    return is_food_category(category)


def allowed_product(p, shopper: Shopper) -> bool:
    if set(p.allergens) & shopper.exclude_allergens or p.brand in shopper.disliked_brands:
        return False
    return not (shopper.required_tags and _is_food(p.category) and not shopper.required_tags <= set(p.tags))


def _affinity(p, shopper: Shopper) -> float:
    cat = max((v for k, v in shopper.category_affinity.items() if p.category.startswith(k)), default=0.0)
    return max(-1.0, min(1.0, 0.6 * float(cat) + 0.4 * float(shopper.brand_affinity.get(p.brand, 0.0))))


def _price(p) -> int:
    return p.sale_price if p.sale_price is not None else p.price


def plan_basket(occasion: Occasion, scale: int | None, budget: int | None, catalog: dict,
                shopper: Shopper | None = None, level: Callable[[str], int] | None = None,
                bought_together: Callable[[str], list[str]] | None = None,
                time_limit_s: float = 5.0) -> Plan:
    """Solve the plan. `catalog` maps id -> Product; `level(pid)` is the current stock (default
    the catalog figure); `bought_together(pid)` feeds the crosssell role (none: role skipped)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    shopper = shopper or Shopper()
    scale = scale or occasion.default_scale
    level = level or (lambda pid: catalog[pid].stock)
    by_leaf: dict[str, list] = {}
    for p in catalog.values():
        by_leaf.setdefault(p.category, []).append(p)

    # candidates: (role index, product, size per pack, need, cap)
    cands: list[tuple[int, object, float, float, int]] = []
    no_candidates: list[int] = []
    needs: dict[str, str] = {}
    role_index = {r.role: i for i, r in enumerate(occasion.roles)}
    for ri, role in enumerate(occasion.roles):
        if role.source == "crosssell":
            continue
        need = role.amount * scale
        needs[role.role] = _need_text(need, role.measure)
        found = 0
        for cat in role.categories:
            for p in by_leaf.get(cat, ()):
                if role.name_any and not any(w in p.name + " " for w in role.name_any):
                    continue
                if not allowed_product(p, shopper):
                    continue
                stock = int(level(p.id))
                size = unit_size(p.unit, role.measure)
                if stock <= 0 or not size:
                    continue
                packs = max(1, math.ceil(need / size - 1e-9)) if need > 0 else 1
                cap = min(stock, packs, MAX_UNITS)
                if cap < packs:       # not enough on the shelf for this role alone
                    continue
                cands.append((ri, p, size, need, cap))
                found += 1
        if not found:
            no_candidates.append(ri)
    # the crosssell role: products bought together with any anchor candidate
    links: list[tuple[int, list[int]]] = []     # (candidate index, anchor candidate indexes)
    for ri, role in enumerate(occasion.roles):
        if role.source != "crosssell":
            continue
        anchor = role_index.get(role.anchor or "")
        taken_leaves = {c for r in occasion.roles for c in r.categories}
        suggested: dict[str, list[int]] = {}
        if bought_together is not None and anchor is not None:
            for ci, (rj, p, *_rest) in enumerate(list(cands)):
                if rj != anchor:
                    continue
                for sid in bought_together(p.id)[:3]:
                    q = catalog.get(sid)
                    if q is None or q.category in taken_leaves or not allowed_product(q, shopper) \
                            or int(level(q.id)) <= 0:
                        continue
                    suggested.setdefault(sid, []).append(ci)
        needs[role.role] = "1개"
        if not suggested:
            no_candidates.append(ri)
        for sid, anchors in sorted(suggested.items()):
            links.append((len(cands), anchors))
            cands.append((ri, catalog[sid], 1.0, 0.0, 1))

    # products bought together with a main candidate get a small preference in their own role
    # (the 쌈채소 people buy with that 삼겹살), on top of rating and affinity
    together: set[str] = set()
    if bought_together is not None:
        mains = {ri for ri, r in enumerate(occasion.roles) if r.main or any(x.anchor == r.role for x in occasion.roles)}
        for ri, p, *_rest in cands:
            if ri in mains:
                together.update(bought_together(p.id)[:5])
    n_roles, n_c = len(occasion.roles), len(cands)
    if n_c == 0:
        return Plan(occasion.id, occasion.name, scale, occasion.scale, budget, [], 0,
                    [_left(occasion.roles[ri], "none") for ri in range(n_roles)], "empty", needs)
    # variable layout: n_0..n_{C-1}, x_0..x_{C-1}, y_0..y_{R-1}
    N, X, Y = 0, n_c, 2 * n_c
    nv = 2 * n_c + n_roles
    prices = np.array([_price(p) for _, p, *_ in cands], dtype=float)
    ref = float(budget) if budget else float(sum(prices[i] * cands[i][4] for i in range(n_c))) or 1.0
    c = np.zeros(nv)
    c[N:N + n_c] = COST_WEIGHT * prices / ref
    for i, (_ri, p, *_r) in enumerate(cands):
        pref = 0.6 * (float(p.rating) / 5.0) + 0.4 * (_affinity(p, shopper) + 1) / 2
        c[X + i] = -(pref + (TOGETHER_BONUS if p.id in together else 0.0))
    for ri, role in enumerate(occasion.roles):
        c[Y + ri] = -WEIGHT[role.priority]
    rows, lo, hi = [], [], []

    def row(entries: dict[int, float], lower: float, upper: float) -> None:
        r = np.zeros(nv)
        for k, v in entries.items():
            r[k] += v
        rows.append(r)
        lo.append(lower)
        hi.append(upper)

    if budget is not None:
        row({N + i: prices[i] for i in range(n_c)}, -np.inf, float(budget))
    for i, (_ri, _p, _size, _need, cap) in enumerate(cands):
        row({N + i: 1.0, X + i: -float(cap)}, -np.inf, 0.0)          # n_i <= cap_i * x_i
        row({N + i: 1.0, X + i: -1.0}, 0.0, np.inf)                  # x_i = 1 -> n_i >= 1
    for ri, role in enumerate(occasion.roles):
        members = [i for i, cnd in enumerate(cands) if cnd[0] == ri]
        row({X + i: 1.0 for i in members}, -np.inf, 1.0)            # one product per role
        row({**{X + i: -1.0 for i in members}, Y + ri: 1.0}, -np.inf, 0.0)   # y_r <= sum x
        need = role.amount * scale
        if need > 0 and role.source != "crosssell":
            row({**{N + i: cands[i][2] for i in members}, Y + ri: -need}, 0.0, np.inf)
    by_product: dict[str, list[int]] = {}
    for i, (_ri, p, *_r) in enumerate(cands):
        by_product.setdefault(p.id, []).append(i)
    for ids in by_product.values():
        if len(ids) > 1:
            row({X + i: 1.0 for i in ids}, -np.inf, 1.0)              # one role per product
    for i, anchors in links:
        row({X + i: 1.0, **{X + a: -1.0 for a in anchors}}, -np.inf, 0.0)
    upper = np.concatenate([[float(cnd[4]) for cnd in cands], np.ones(n_c), np.ones(n_roles)])
    lower = np.zeros(nv)
    for ri, role in enumerate(occasion.roles):
        if role.main:
            if ri in no_candidates:     # no 삼겹살 the shopper can have: no 삼겹살 파티 plan
                return Plan(occasion.id, occasion.name, scale, occasion.scale, budget, [], 0,
                            [_left(r, "none" if i in no_candidates else "main") for i, r in enumerate(occasion.roles)],
                            "empty", needs)
            lower[Y + ri] = 1.0
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=np.ones(nv),
               bounds=Bounds(lower, upper), options={"time_limit": time_limit_s})
    if res.x is None:   # infeasible: the main role alone does not fit the budget
        return Plan(occasion.id, occasion.name, scale, occasion.scale, budget, [], 0,
                    [_left(r, "budget") for r in occasion.roles], "empty", needs)
    sol = np.round(res.x).astype(int)
    lines = []
    for i, (ri, p, *_r) in enumerate(cands):
        if sol[X + i] and sol[N + i] > 0:
            price = int(_price(p))
            lines.append(PlanLine(p.id, p.name, occasion.roles[ri].role, int(sol[N + i]), price,
                                  price * int(sol[N + i])))
    order = {r.role: i for i, r in enumerate(occasion.roles)}
    lines.sort(key=lambda ln: order[ln.role])
    covered = {ln.role for ln in lines}
    left = [_left(occasion.roles[ri], "none" if ri in no_candidates else "budget")
            for ri in range(n_roles) if occasion.roles[ri].role not in covered]
    total = sum(ln.line_total for ln in lines)
    status = "optimal" if not left else ("partial" if lines else "empty")
    return Plan(occasion.id, occasion.name, scale, occasion.scale, budget, lines, total, left, status, needs)


def _left(role: Role, why: str) -> dict:
    reason = {"budget": "예산 안에 맞추려고 뺐어요", "none": "조건(알레르기·식단·재고)에 맞는 상품이 없어요",
              "main": "중심 상품을 담을 수 없어 계획을 만들지 않았어요"}[why]
    return {"role": role.role, "reason": reason, "why": why, "priority": role.priority}


def _need_text(need: float, measure: str) -> str:
    if need <= 0:
        return "1개"
    if measure == "count":
        return f"{math.ceil(need - 1e-9):,}개"
    unit = "g" if measure == "g" else "ml"
    if need >= 1000:
        return f"{need / 1000:g}{'kg' if unit == 'g' else 'L'}"
    return f"{need:g}{unit}"


# ---- command line ---------------------------------------------------------------------------
BENCH_REQUESTS = (("삼겹살 파티", 4, 50_000), ("자취 식단", 1, 30_000), ("캠핑", 2, 100_000),
                  ("생일 파티", 10, 80_000), ("김장", 20, None))


def main(argv: list[str] | None = None) -> int:
    """`python -m store.planner "삼겹살 파티" --scale 4 --budget 50000 [--exclude 땅콩] [--json]`
    or `--bench`: solve time of the five demo requests (median of --repeat runs each)."""
    import argparse
    import statistics
    import sys
    import time

    parser = argparse.ArgumentParser(prog="python -m store.planner", description="Plan a basket for an occasion.",
                                     epilog='example: python -m store.planner "삼겹살 파티" --scale 4 --budget 50000')
    parser.add_argument("occasion", nargs="?", help="text naming an occasion, e.g. '삼겹살 파티'")
    parser.add_argument("--scale", type=int, help="people (or 포기 for 김장)")
    parser.add_argument("--budget", type=int, help="KRW")
    parser.add_argument("--exclude", action="append", default=[], help="allergen to exclude (repeatable)")
    parser.add_argument("--tag", action="append", default=[], help="diet tag every food must carry")
    parser.add_argument("--data", default="data")
    parser.add_argument("--bench", action="store_true", help="time the five demo requests")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from store.catalog import load_catalog

    data = Path(args.data)
    catalog = {p.id: p for p in load_catalog(data / "catalog" / "products.jsonl")}
    occasions = load_occasions(data / "store" / "occasions.json", {p.category for p in catalog.values()})
    if args.bench:
        rows = []
        for text, scale, budget in BENCH_REQUESTS:
            occ, times = match_occasion(text, occasions), []
            for _ in range(args.repeat):
                t = time.perf_counter()
                plan = plan_basket(occ, scale, budget, catalog)
                times.append((time.perf_counter() - t) * 1000)
            rows.append({"occasion": occ.name, "scale": scale, "budget": budget, "roles": len(plan.lines),
                         "of_roles": len(occ.roles), "total": plan.total, "status": plan.status,
                         "p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)})
        print(json.dumps(rows, ensure_ascii=False) if args.json else
              "\n".join(f"{r['occasion']} {r['scale']} {r['budget']}: {r['roles']}/{r['of_roles']} roles, "
                        f"{r['total']:,}원, p50 {r['p50_ms']} ms, max {r['max_ms']} ms" for r in rows))
        return 0
    occ = match_occasion(args.occasion or "", occasions)
    if occ is None:
        print("오류: 어떤 계획인지 모르겠어요. 예: " + ", ".join(o.name for o in occasions), file=sys.stderr)
        return 2
    shopper = Shopper(exclude_allergens=frozenset(args.exclude), required_tags=frozenset(args.tag))
    from store import crosssell

    model, leaf_of = crosssell.build(data), {pid: p.category for pid, p in catalog.items()}
    plan = plan_basket(occ, args.scale, args.budget, catalog, shopper,
                       bought_together=lambda pid: [s["id"] for s in model.suggest([pid], leaf_of=leaf_of)])
    if args.json:
        print(json.dumps(plan.to_json(), ensure_ascii=False))
    else:
        for ln in plan.lines:
            print(f"{ln.role}: {ln.name} x {ln.qty} = {ln.line_total:,}원 [{ln.id}]")
        print(f"합계 {plan.total:,}원" + (f" / 예산 {plan.budget:,}원" if plan.budget else ""))
        for x in plan.left_out:
            print(f"뺀 것: {x['role']} ({x['reason']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
