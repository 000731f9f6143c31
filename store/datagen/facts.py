"""Store facts shared by product descriptions, policy documents and eval queries, so the
numbers never disagree (a description's cut-off time is the policy's cut-off time)."""

from __future__ import annotations

FREE_SHIPPING_MIN = 40_000  # KRW, order total (after discounts) for free 일반/당일 shipping
SHIPPING_FEE = 3_000
DAWN_FREE_MIN = 40_000
DAWN_FEE = 3_500
DAWN_CUTOFF = "23:00"  # 새벽배송: order by 23:00, arrives by 07:00 next morning
DAWN_ARRIVE = "07:00"
SAMEDAY_CUTOFF = "12:00"  # 당일배송: order by noon, arrives by 22:00 the same day
SAMEDAY_ARRIVE = "22:00"
JEJU_EXTRA = 3_000
ISLAND_EXTRA = 5_000
RETURN_DAYS = 7  # 단순변심, 전자상거래법 제17조 (from receipt)
DEFECT_DAYS_KNOWN = 90  # 표시·광고와 다른 경우: 받은 날부터 3개월, 안 날부터 30일
DEFECT_DAYS_NOTICED = 30
RETURN_FEE_ONEWAY = 3_000
POINT_RATE = {"일반": 0.5, "실버": 1.0, "골드": 2.0, "VIP": 3.0}  # % of paid amount
PICKUP_HOLD_DAYS = 3
