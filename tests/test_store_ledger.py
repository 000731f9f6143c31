"""Stock ledger rules: signed events, derived levels, never negative, reconcile, seeding."""

from dataclasses import dataclass

import pytest

from database import open_database
from store.stock import InsufficientStock, LedgerError, StockLedger, substitutes


@dataclass(frozen=True)
class Prod:
    id: str
    name: str = "상품"
    category: str = "식품/유제품/우유"
    price: int = 1000
    sale_price: int | None = None
    stock: int = 0
    allergens: tuple[str, ...] = ()

    @property
    def effective_price(self) -> int:
        return self.sale_price or self.price


@pytest.fixture
def ledger():
    return StockLedger(open_database(":memory:"))


def test_level_is_sum_of_events(ledger):
    ledger.receive("P1", 10, ref="입고")
    ledger.sell("P1", 3)
    ledger.return_("P1", 1)
    ledger.adjust("P1", -2, ref="파손")
    assert ledger.level("P1") == 6
    assert [e.kind for e in ledger.history("P1")] == ["receipt", "sale", "return", "adjustment"]
    assert [e.qty for e in ledger.history("P1")] == [10, -3, 1, -2]
    assert ledger.derived_levels() == {"P1": 6}


def test_never_negative_and_nothing_written(ledger):
    ledger.receive("P1", 2)
    with pytest.raises(InsufficientStock) as err:
        ledger.sell("P1", 3)
    assert (err.value.product_id, err.value.requested, err.value.available) == ("P1", 3, 2)
    assert "2개" in err.value.user_message and "P1" in str(err.value)
    with pytest.raises(InsufficientStock):
        ledger.adjust("P1", -5)
    assert ledger.level("P1") == 2
    assert len(ledger.history("P1")) == 1
    with pytest.raises(InsufficientStock) as err:
        ledger.sell("P9", 1)
    assert "품절" in err.value.user_message


@pytest.mark.parametrize("kind,qty", [("receipt", -1), ("sale", 2), ("return", -3),
                                      ("adjustment", 0), ("theft", 1), ("receipt", 1.5)])
def test_bad_events_refused(ledger, kind, qty):
    with pytest.raises(LedgerError):
        ledger.record("P1", kind, qty)
    assert ledger.history("P1") == []


def test_reconcile_detects_cache_drift_and_rebuild_fixes(ledger):
    ledger.receive("P1", 5)
    ledger.receive("P2", 1)
    assert ledger.reconcile().ok
    ledger.db.execute("UPDATE stock_levels SET qty = 99 WHERE product_id = 'P1'")
    report = ledger.reconcile()
    assert not report.ok and report.mismatches == (("P1", 99, 5),)
    ledger.rebuild_cache()
    assert ledger.reconcile().ok and ledger.level("P1") == 5


def test_seed_from_catalog_is_idempotent(ledger):
    products = [Prod("P1", stock=4), Prod("P2", stock=0), Prod("P3", stock=7)]
    assert ledger.seed_from_catalog(products) == 2
    ledger.sell("P1", 1)
    assert ledger.seed_from_catalog(products) == 0
    assert ledger.levels(["P1", "P2", "P3"]) == {"P1": 3, "P2": 0, "P3": 7}


def test_substitutes_same_leaf_in_stock_allergen_safe():
    milk = Prod("P1", "서울우유", price=2500, allergens=("우유",))
    cands = [Prod("P2", "매일우유", price=2600, allergens=("우유",)),
             Prod("P3", "두유", price=2400, allergens=("대두",)),        # new allergen
             Prod("P4", "남양우유", price=2450, allergens=("우유",)),     # out of stock
             Prod("P5", "락토프리", price=3000),
             Prod("P6", "치즈", category="식품/유제품/치즈", price=2500),   # other leaf
             Prod("P7", "프리미엄우유", price=9000)]                       # price too far
    levels = {"P2": 3, "P3": 9, "P4": 0, "P5": 1, "P6": 5, "P7": 5}
    got = substitutes(milk, {p.id: p for p in cands}, levels, k=3)
    assert [p.id for p in got] == ["P2", "P5"]
    assert substitutes(milk, cands, levels, k=1)[0].id == "P2"
