"""Shopping plans, "전부 담기", store locations, bought-together and moment suggestions in a turn.

Called from `assistant/service.py`:
- `reinterpret(message, und, state, ...)` turns an understanding into `plan` ("4인 가족 삼겹살
  파티 5만원으로 장봐줘"), `plan_add` ("전부 담기" after a plan) or `location` ("우유 어디 있어요?",
  "라면은 몇 번 통로예요?") when the message says so; anything else passes through unchanged.
- `facts(...)` answers those intents (basket by role with line totals, grand total, what was
  left out; the zone and, for the kiosk, a floor-plan image).
- `add_plan(...)` puts the whole last plan in the cart in one database transaction.
- `crosssell_ids(...)` / `moment_suggestions(...)` feed "함께 많이 사는 상품" and the greeting's
  and empty search's suggestions (time of day, season, 명절, the store's weather hint).

The solver, rules and layout live in `store/` (planner, crosssell, layout, context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.actions import ActionResult
from assistant.facts import Facts, ProductFact, won

INTENTS = ("plan", "plan_add", "location")
MAX_SCALE = 100          # people (or 포기) a plan is made for
PLAN_CUE = re.compile(r"(장\s*보|장볼|장봐|골라|준비|계획|뭐\s*사|뭘\s*사|뭐가\s*필요|필요한|사야|식단|짜\s*줘|구성|1박|인분)")
_SCALE = re.compile(r"(\d{1,3})\s*(인분|인|명|사람|포기)(?![가-힣])|(\d{1,3})\s*(인분|인|명|포기)\s*(가족|이서|이|용)")
_NATIVE_SCALE = re.compile(r"(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|열두|스무)\s*(명|사람|포기)")
_NATIVE = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
           "열두": 12, "스무": 20}
LOCATION = re.compile(r"(어디\s*(에|쯤)?\s*(있|놓|진열)|어딨|몇\s*번\s*(통로|코너|매대|진열대)"
                      r"|어느\s*(통로|코너|쪽|매대)|(통로|코너|매대)\s*(가\s*)?어디|위치가\s*어디|어디서\s*찾)")
# "원산지 어디예요?", "배송 어디쯤" ask about a product or an order, not the shelf
_NOT_SHELF = re.compile(r"(원산지|산지|생산지|제조|배송|택배|주문|반품|교환|환불|픽업|매장\s*주소)")
ADD_ALL = re.compile(r"(전부|모두|몽땅|다|한꺼번에|한번에|한 번에)\s*(다\s*)?(담|넣)")
_TRAILING = re.compile(r"(은|는|이|가|을|를|도|요)$")
# A message that names one product and asks for it ("생일파티 때 나눠줄 젤리 있나요", "삼겹살 2kg
# 필요해요") is a search, not a plan.
_ASKS_ITEM = re.compile(r"(있나요|있어요|있나|있을까|있는지|보여|추천|찾아|팔아|파나요)")
_SIZE_SAID = re.compile(r"\d+(\.\d+)?\s*(kg|g|키로|킬로|그램|ml|L|리터|근)(?![a-zA-Z])")
_PLAN_WORDS = {"가족", "아이", "아들", "딸", "애들", "친구", "준비", "장보기", "장", "식단", "일주일", "일주일치",
               "파티", "계획", "구성", "예산", "1박", "2일", "하루", "주말", "먹을", "거"}


@dataclass
class PlanServices:
    occasions: list
    layout: object
    crosssell: object
    leaf_of: dict


def services(assistant) -> PlanServices:
    """Occasions, layout and bought-together rules, loaded once per Assistant."""
    cached = getattr(assistant, "_plan_services", None)
    if cached is not None:
        return cached
    from store import crosssell
    from store.layout import load_layout
    from store.planner import load_occasions

    data = Path(getattr(assistant, "data_dir", None) or _repo_data())
    # leaf names are checked by `python -m store.catalog validate`; here a leaf the catalog
    # lacks only leaves its role without candidates
    occasions = load_occasions(data / "store" / "occasions.json")
    layout = load_layout(data / "store" / "layout.json")
    built = Path(getattr(assistant, "var_dir", None) or data.parent / "var") / "crosssell.json"
    model = crosssell.load(data, built if built.exists() else None)
    svc = PlanServices(occasions, layout, model, {pid: p.category for pid, p in assistant.catalog.items()})
    assistant._plan_services = svc
    return svc


def _repo_data() -> Path:
    from assistant.settings import REPO_ROOT

    return REPO_ROOT / "data"


# ---- understanding ------------------------------------------------------------------------------
def parse_scale(text: str) -> int | None:
    """Party size or 포기 count: "4인 가족" -> 4, "10명" -> 10, "김장 20포기" -> 20, "두 명" -> 2.

    >>> parse_scale("4인 가족 삼겹살 파티"), parse_scale("아이 생일 파티 10명"), parse_scale("김장 20포기")
    (4, 10, 20)
    >>> parse_scale("캠핑 1박 2일 2인"), parse_scale("세 명이서 캠핑"), parse_scale("3만원으로 식단")
    (2, 3, None)
    """
    for m in _SCALE.finditer(text):
        n = int(m.group(1) or m.group(3))
        if n >= 1:
            return n
    m = _NATIVE_SCALE.search(text)
    return _NATIVE.get(m.group(1)) if m else None


def reinterpret(message: str, und, state, assistant):
    """`und` with intent plan / plan_add / location when the message asks for one, else `und`."""
    if und.intent in ("out_of_scope", "policy", "order_status", "checkout", "cart_view") or und.injection:
        return und
    intent = None
    plan = getattr(state, "last_plan", None)
    fresh = bool(plan and plan.get("fresh"))
    if plan:
        plan["fresh"] = False    # "다 담아줘" means the plan only in the turn right after it
    if plan and ADD_ALL.search(message) and (fresh or "계획" in message or "장보기" in message):
        intent = "plan_add"      # right after the plan, or naming it
    elif LOCATION.search(message) and not _NOT_SHELF.search(message) and und.slots.reference is None:
        intent = "location"
    else:
        from store.planner import match_occasion

        occ = match_occasion(message, services(assistant).occasions)
        if occ is not None and (PLAN_CUE.search(message) or parse_scale(message) is not None) \
                and not _asks_for_item(message, und, occ):
            intent = "plan"
    if intent is None:
        return und
    # the dialogue treated the message as a search: drop what it carried or asked for it
    state.pending_clarification = None
    state.constraints = {}
    state.last_intent = intent
    return replace(und, intent=intent, clarify=None)


def _asks_for_item(message: str, und, occ) -> bool:
    """Whether the message names a product of its own beyond the occasion's words and asks
    for it, or says a size ("2kg"): then the shopper wants that product, not a basket."""
    if _SIZE_SAID.search(message):
        return True
    occasion_words = _PLAN_WORDS | {w for t in occ.triggers for w in t.split()}
    own = [k for k in und.slots.keywords
           if k not in occasion_words and not any(k in w or w in k for w in occasion_words)]
    return bool(own) and bool(_ASKS_ITEM.search(message))


# ---- answers -------------------------------------------------------------------------------------
def facts(assistant, message: str, und, state, customer_id):
    if und.intent == "plan":
        return plan_facts(assistant, message, und, state, customer_id)
    if und.intent == "plan_add":
        result = add_plan(assistant, state, customer_id)
        return (Facts(intent="plan_add", products=result.products, notes=(result.message,), numbers=result.numbers,
                      draft=result.message), list(result.products), {"actions": [result.event()]})
    return location_facts(assistant, message, und, state, customer_id)


def shopper_for(assistant, und, state, customer_id):
    from store._rules import FOOD_TAGS
    from store.planner import Shopper

    profile = assistant.profile_view(state, customer_id)
    # diet tags are hard rules; shopping tags the NLU reads ("자취" -> 1인가구) are not
    diet = (frozenset(profile.required_tags) | frozenset(und.slots.dietary_tags)) & FOOD_TAGS
    from store.domain import expand_allergens

    said = tuple(profile.exclude_allergens) + tuple(und.slots.allergens)
    return Shopper(exclude_allergens=frozenset(expand_allergens(said)) | frozenset(said),
                   required_tags=diet,
                   disliked_brands=frozenset(profile.disliked_brands) | frozenset(und.slots.avoid_brands),
                   category_affinity=dict(profile.category_affinity), brand_affinity=dict(profile.brand_affinity))


def plan_facts(assistant, message, und, state, customer_id):
    from store.planner import match_occasion, plan_basket

    svc = services(assistant)
    occ = match_occasion(message, svc.occasions)
    if occ is None:   # a plan intent from elsewhere (a UI button, a model) with no occasion named
        names = ", ".join(o.name for o in svc.occasions)
        return Facts(intent="plan", draft=f"어떤 장보기 계획을 세워 드릴까요? 예: {names}. 인원과 예산도 알려 주세요."), [], \
            {"clarify": True}
    scale = parse_scale(message)
    capped = scale is not None and scale > MAX_SCALE
    scale = min(scale, MAX_SCALE) if scale else scale
    budget = und.slots.budget_max
    shopper = shopper_for(assistant, und, state, customer_id)
    level = assistant.actions.level

    def together(pid: str) -> list[str]:
        return [s["id"] for s in svc.crosssell.suggest([pid], k=5, leaf_of=svc.leaf_of)]

    plan = plan_basket(occ, scale, budget, assistant.catalog, shopper, level=level, bought_together=together)
    cards = [ProductFact.from_product(assistant.catalog[ln.id], stock=level(ln.id)) for ln in plan.lines]
    draft = plan_reply(plan, shopper)
    if capped:   # said, not dropped: the plan says what it did instead
        draft = f"계획은 {MAX_SCALE}{'포기' if occ.scale == '포기' else '명'}까지 세울 수 있어 그 기준으로 짰어요.\n" + draft
    data = plan.to_json()
    data["offer"] = "전부 담기" if plan.lines else None
    data["excluded_allergens"] = sorted(shopper.exclude_allergens)
    data["required_tags"] = sorted(shopper.required_tags)
    state.last_plan = {"occasion": plan.occasion, "items": [{"id": ln.id, "qty": ln.qty, "role": ln.role}
                                                             for ln in plan.lines], "total": plan.total,
                       "fresh": True}
    numbers = tuple(n for ln in plan.lines for n in (ln.qty, ln.unit_price, ln.line_total)) + \
        (plan.total, plan.scale) + ((plan.budget, plan.budget - plan.total) if plan.budget else ())
    return (Facts(intent="plan", products=tuple(cards), numbers=numbers, draft=draft), cards, {"plan": data})


def plan_reply(plan, shopper) -> str:
    who = f"{plan.scale}{'인' if plan.scale_word == '명' else plan.scale_word}"
    head = f"{plan.occasion_name} {who} 장보기 계획이에요" + (f" (예산 {won(plan.budget)})." if plan.budget else ".")
    lines = [head]
    if not plan.lines:
        lines.append("조건에 맞게 담을 수 있는 상품을 찾지 못했어요." + (" 예산을 조금 늘려 보시겠어요?" if plan.budget else ""))
    for ln in plan.lines:
        lines.append(f"- {ln.role}: {ln.name} × {ln.qty} — {won(ln.line_total)}")
    if plan.lines:
        tail = f"합계 {won(plan.total)}"
        if plan.budget:
            tail += f" (예산에서 {won(plan.budget - plan.total)} 남아요)"
        lines.append(tail + ".")
    budget_cut = [x["role"] for x in plan.left_out if x["why"] == "budget"]
    none_left = [x["role"] for x in plan.left_out if x["why"] == "none"]
    if budget_cut:
        lines.append(f"예산 안에 맞추려고 뺀 것: {', '.join(budget_cut)}.")
    if none_left:
        lines.append(f"조건에 맞는 상품이 없어 못 넣은 것: {', '.join(none_left)}.")
    said = []
    if shopper.exclude_allergens:
        said.append(f"{', '.join(sorted(shopper.exclude_allergens))} 들어간 상품 제외")
    if shopper.required_tags:
        said.append(f"{', '.join(sorted(shopper.required_tags))} 식품만")
    if said:
        lines.append(f"적용한 조건: {'; '.join(said)}.")
    if plan.lines:
        lines.append("'전부 담기'라고 하시면 한 번에 장바구니에 담아 드려요.")
    return "\n".join(lines)


def add_plan(assistant, state, customer_id) -> ActionResult:
    """Add every line of the last plan in one transaction: all of it or, when a line has too
    little stock, nothing (the reply names that line)."""
    plan = getattr(state, "last_plan", None)
    if not plan or not plan.get("items"):
        return ActionResult("plan_add", False, "먼저 장보기 계획을 만들어 드릴게요. 예: '4인 삼겹살 파티 5만원으로 장봐줘'.")
    a = assistant.actions
    have = a.lines(state, customer_id)
    items = [(it["id"], int(it["qty"])) for it in plan["items"] if it["id"] in assistant.catalog]
    for pid, qty in items:
        if have.get(pid, 0) + qty > a.level(pid):
            p = assistant.catalog[pid]
            return ActionResult("plan_add", False,
                                f"{p.name}의 재고가 {a.level(pid)}개뿐이라 계획을 그대로 담지 못했어요. "
                                "아무것도 담지 않았어요. 계획을 다시 만들어 드릴까요?",
                                (ProductFact.from_product(p, stock=a.level(pid)),), (a.level(pid), qty),
                                {"product_id": pid, "requested": qty, "available": a.level(pid)})
    if customer_id and a.profiles is not None:
        from database.connection import run_write

        store = a.profiles
        run_write(store.db, lambda: [store.cart_add(customer_id, pid, qty) for pid, qty in items])
    else:
        new = dict(state.cart)
        for pid, qty in items:
            new[pid] = new.get(pid, 0) + qty
        state.cart = new   # one assignment: the anonymous cart changes all at once
    view = a.view(state, customer_id)
    n = sum(q for _, q in items)
    msg = (f"계획한 상품 {len(items)}가지({n}개)를 장바구니에 한 번에 담았어요. "
           f"장바구니 합계는 {won(view.data['total'])}이에요.")
    facts = tuple(ProductFact.from_product(assistant.catalog[pid], stock=a.level(pid)) for pid, _ in items)
    return ActionResult("plan_add", True, msg, facts, (len(items), n, view.data["total"]),
                        {"items": [{"id": pid, "qty": q} for pid, q in items], "total": view.data["total"]})


def _leaf_for(assistant, und, message: str) -> str | None:
    """The leaf category a location question is about: the NLU's category, else the leaf most
    products named by its keywords belong to."""
    cats = [c for c in und.slots.categories if c.count("/") == 2 and c in services(assistant).layout.leaves]
    if cats:
        return cats[0]
    words = [_TRAILING.sub("", k) for k in und.slots.keywords if k not in ("통로", "코너", "위치", "매대")]
    words = [w for w in words if len(w) >= 1]
    counts: dict[str, int] = {}
    for p in assistant.catalog.values():
        if any(w and (w in p.name or w == p.leaf) for w in words):
            counts[p.category] = counts.get(p.category, 0) + 1
    if counts:
        return max(sorted(counts), key=counts.get)
    prefixes = [c for c in und.slots.categories]
    return prefixes[0] if prefixes else None


def location_facts(assistant, message, und, state, customer_id):
    svc = services(assistant)
    leaf = _leaf_for(assistant, und, message)
    loc = svc.layout.where(leaf) if leaf else None
    if loc is None:
        draft = "어떤 상품의 위치를 찾으세요? 상품 이름을 알려 주시면 몇 번 통로인지 알려 드릴게요."
        return Facts(intent="location", draft=draft), [], {"clarify": True}
    name = leaf.split("/")[-1]
    draft = (f"{name}{_topic(name)} {loc.aisle}번 통로 {loc.zone} 구역({loc.name})에 있어요. "
             f"입구에서 {loc.aisle}번째 통로로 들어가시면 돼요.")
    image = None
    if getattr(assistant, "ui_mode", "browser") == "kiosk":
        from store.layout import floor_plan_png

        out_dir = Path(getattr(assistant, "var_dir", None) or _repo_data().parent / "var") / "floorplans"
        try:
            image = str(floor_plan_png(loc.zone, out_dir=out_dir, layout=svc.layout))
        except OSError:
            image = None   # a read-only var/: the zone in words still answers
    location = {**loc.to_json(image), "zone_name": loc.name, "category": leaf}
    return (Facts(intent="location", notes=(draft,), numbers=(loc.aisle,), draft=draft), [],
            {"location": location})


# ---- bought together and moment suggestions -----------------------------------------------
def crosssell_ids(assistant, state, customer_id, product_id: str, k: int = 5) -> list[str]:
    """"함께 많이 사는 상품" for one product: in stock, and never with an allergen or outside the
    diet the shopper stated (profile or this session)."""
    if product_id not in assistant.catalog:
        return []
    svc = services(assistant)
    from store.planner import Shopper, allowed_product

    profile = assistant.profile_view(state, customer_id)
    shopper = Shopper(exclude_allergens=frozenset(profile.exclude_allergens),
                      required_tags=frozenset(profile.required_tags),
                      disliked_brands=frozenset(profile.disliked_brands))
    ok = (lambda pid: pid in assistant.catalog and allowed_product(assistant.catalog[pid], shopper)
          and assistant.actions.level(pid) > 0)
    return [s["id"] for s in svc.crosssell.suggest([product_id], k=k, allowed=ok, leaf_of=svc.leaf_of)]


def moment_suggestions(assistant, state, customer_id, per_shelf: int = 3, now=None) -> tuple[str, list, list[dict]]:
    """(Korean sentence, product facts, shelves JSON) for the greeting, an empty search and
    the kiosk's first screen."""
    from store.context import moment, shelves
    from store.planner import Shopper, allowed_product

    data = Path(getattr(assistant, "data_dir", None) or _repo_data())
    if now is None:   # the turn's clock, else the assistant's fixed moment or clock, else the real one
        clock = getattr(assistant, "clock", None)
        now = getattr(assistant, "now", None) or (clock() if clock else None)
    m = moment(now, getattr(assistant, "weather", None), data)
    profile = assistant.profile_view(state, customer_id)
    shopper = Shopper(exclude_allergens=frozenset(profile.exclude_allergens),
                      required_tags=frozenset(profile.required_tags),
                      disliked_brands=frozenset(profile.disliked_brands))
    found = shelves(m, assistant.catalog, per_shelf, allowed=lambda p: allowed_product(p, shopper),
                    data_dir=data, level=assistant.actions.level)[:2]
    cards, out = [], []
    for shelf in found:
        out.append({"title": shelf.title, "ids": list(shelf.product_ids)})
        cards += [ProductFact.from_product(assistant.catalog[pid], stock=assistant.actions.level(pid))
                  for pid in shelf.product_ids]
    if not cards:
        return "", [], []
    text = f"{m.label}에 많이 찾는 상품이에요: " + "; ".join(
        f"{s['title']} — " + ", ".join(f"{assistant.catalog[pid].name} {won(_price(assistant.catalog[pid]))}"
                                       for pid in s["ids"]) for s in out) + "."
    return text, cards, [{"moment": m.label, **s} for s in out]


def _topic(word: str) -> str:
    """The topic particle for `word`: 은 after a final consonant, else 는 ("우유는", "라면은")."""
    last = word[-1] if word else ""
    if "가" <= last <= "힣":
        return "은" if (ord(last) - 0xAC00) % 28 else "는"
    return "은(는)"


def _price(p) -> int:
    return p.sale_price if p.sale_price is not None else p.price
