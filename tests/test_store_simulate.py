"""Reorder simulator on hand-made cases with known answers."""

import pytest

from store.simulate import min_safety_stock, run_policy


def test_perfect_forecast_needs_no_safety_stock():
    r = min_safety_stock([5] * 10, [5] * 10, lead=1, price=1000, base_opening=5)
    assert (r.safety_stock, r.lost_sales) == (0, 0)
    assert r.avg_inventory_units == 2.5                 # opens 5, closes 0 each day
    assert r.avg_inventory_value == 2.5 * 1000 * 0.5
    assert r.turnover == 2.0 and r.sold == 50


def test_under_forecast_by_two_needs_safety_stock_two():
    demand = [5, 5, 5, 7, 5, 5]
    forecast = [5, 5, 5, 5, 5, 5]                       # day 3's 7 is forecast as 5 (made on day 2)
    short = run_policy(demand, forecast, lead=1, price=100, safety_stock=0, base_opening=5)
    assert short.lost_sales == 2
    r = min_safety_stock(demand, forecast, lead=1, price=100, base_opening=5)
    assert (r.safety_stock, r.lost_sales) == (2, 0)


def test_lead_time_delays_arrivals():
    # lead 2: the order of day 0 arrives on day 2; day 1 lives on the opening stock.
    r = run_policy([4, 4, 4, 4], [8, 8, 8, 8], lead=2, price=10, safety_stock=0, base_opening=8)
    assert r.lost_sales == 0 and r.sold == 16
    starved = run_policy([4, 4, 4, 4], [8, 8, 8, 8], lead=2, price=10, safety_stock=0, base_opening=4)
    assert starved.lost_sales == 4                      # day 1 has nothing left


def test_warmup_days_are_not_scored():
    r = run_policy([9, 1, 1, 1], [1, 1, 1, 1], lead=1, price=10, safety_stock=0, base_opening=1, warmup=1)
    assert r.lost_sales == 0 and r.days == 3


@pytest.mark.parametrize("lead", [1, 2, 3])
def test_lost_sales_never_grow_with_safety_stock(lead):
    demand = [3, 9, 0, 4, 12, 1, 6, 8, 2, 7]
    forecast = [5] * 10
    lost = [run_policy(demand, forecast, lead, 10, ss, 5).lost_sales for ss in range(0, 30)]
    assert all(a >= b for a, b in zip(lost, lost[1:])) and lost[-1] == 0
    best = min_safety_stock(demand, forecast, lead, 10, 5)
    assert best.safety_stock == lost.index(0)
