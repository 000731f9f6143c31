"""Field validation and normalization for customer profiles (pure functions).

`clean(field, value)` returns the normalized value or raises `ValidationError` with a
Korean message. Lists become sorted de-duplicated tuples; weights become floats.

    >>> clean("allergies", ["땅콩", " 우유 ", "땅콩"])
    ('땅콩', '우유')
    >>> clean("region", "서울 마포구")
    '서울 마포구'
    >>> clean("household_size", 0)
    Traceback (most recent call last):
    ...
    profiles.errors.ValidationError: invalid household_size: must be within 1..20, got 0
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from profiles.errors import ValidationError

PRICE_SENSITIVITY = ("low", "medium", "high")
_PRICE_SENSITIVITY_KO = {"낮음": "low", "보통": "medium", "중간": "medium", "높음": "high"}
_AGE_BAND = re.compile(r"^(\d0대( (초반|중반|후반|이상))?|\d0s|\d0-\d9|10대 미만)$")
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_PIN = re.compile(r"^\d{4,6}$")

LIST_FIELDS = ("pets", "dietary", "allergies", "disliked_brands")
WEIGHT_FIELDS = ("preferred_categories", "preferred_brands")
SCALAR_FIELDS = ("display_name", "age_band", "region", "household_size", "persona",
                 "price_sensitivity", "monthly_budget")
PROFILE_FIELDS = SCALAR_FIELDS + LIST_FIELDS + WEIGHT_FIELDS


def _fail(field: str, message: str, user: str) -> ValidationError:
    return ValidationError(field, message, user)


def clean_customer_id(value: Any) -> str:
    if not isinstance(value, str) or not _CUSTOMER_ID.match(value):
        raise _fail("id", f"must be 1-40 letters, digits, '-' or '_', got {value!r}",
                    "고객 번호 형식이 올바르지 않아요.")
    return value


def clean_pin(value: Any) -> str:
    if not isinstance(value, str) or not _PIN.match(value):
        raise _fail("pin", "must be 4-6 digits", "PIN은 숫자 4~6자리로 입력해 주세요.")
    return value


def _text(field: str, label: str, max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _fail(field, f"must be a non-empty string, got {value!r}",
                        f"{label}을(를) 입력해 주세요.")
        value = " ".join(value.split())
        if len(value) > max_len:
            raise _fail(field, f"longer than {max_len} characters",
                        f"{label}은(는) {max_len}자 이내로 입력해 주세요.")
        return value
    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None or value == "" else check(value)


def _age_band(value: Any) -> str:
    value = _text("age_band", "연령대", 12)(value)
    if not _AGE_BAND.match(value):
        raise _fail("age_band", f"expected e.g. '30대', got {value!r}",
                    "연령대는 '30대'처럼 입력해 주세요.")
    return value


def _region(value: Any) -> str:
    value = _text("region", "지역", 30)(value)
    # 시/구 level only: a detailed address (building or house numbers) is not kept.
    if any(ch.isdigit() for ch in value) or len(value.split()) > 3:
        raise _fail("region", "keep only city/district level (no street or number)",
                    "지역은 '서울 마포구'처럼 시/구까지만 입력해 주세요.")
    return value


def _int_range(field: str, label: str, lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise _fail(field, f"must be within {lo}..{hi}, got {value!r}",
                        f"{label}은(는) {lo:,}~{hi:,} 사이의 숫자로 입력해 주세요.")
        return value
    return check


def _price_sensitivity(value: Any) -> str:
    if isinstance(value, str):
        value = _PRICE_SENSITIVITY_KO.get(value.strip(), value.strip().lower())
    if value not in PRICE_SENSITIVITY:
        raise _fail("price_sensitivity", f"must be one of {PRICE_SENSITIVITY}, got {value!r}",
                    "가격 민감도는 낮음/보통/높음 중에서 골라 주세요.")
    return value


def _word_list(field: str, label: str) -> Callable[[Any], tuple[str, ...]]:
    word = _text(field, label, 30)

    def check(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple, set, frozenset)) or len(value) > 30:
            raise _fail(field, "must be a list of at most 30 strings",
                        f"{label} 목록 형식이 올바르지 않아요.")
        return tuple(sorted({word(v) for v in value}))
    return check


def _weights(field: str, label: str) -> Callable[[Any], dict[str, float]]:
    key = _text(field, label, 60)

    def check(value: Any) -> dict[str, float]:
        if not isinstance(value, dict) or len(value) > 100:
            raise _fail(field, "must be a mapping name -> weight",
                        f"{label} 선호도 형식이 올바르지 않아요.")
        out: dict[str, float] = {}
        for k, w in value.items():
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) \
                    or not -1.0 <= float(w) <= 1.0:
                raise _fail(field, f"weight for {k!r} must be within [-1, 1], got {w!r}",
                            f"{label} 선호도는 -1에서 1 사이여야 해요.")
            out[key(k)] = float(w)
        return dict(sorted(out.items()))
    return check


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "display_name": _text("display_name", "이름", 40),
    "age_band": _optional(_age_band),
    "region": _optional(_region),
    "household_size": _optional(_int_range("household_size", "가구원 수", 1, 20)),
    "persona": _optional(_text("persona", "고객 유형", 200)),
    "price_sensitivity": _optional(_price_sensitivity),
    "monthly_budget": _optional(_int_range("monthly_budget", "월 예산", 0, 100_000_000)),
    "pets": _word_list("pets", "반려동물"),
    "dietary": _word_list("dietary", "식단"),
    "allergies": _word_list("allergies", "알레르기"),
    "disliked_brands": _word_list("disliked_brands", "비선호 브랜드"),
    "preferred_categories": _weights("preferred_categories", "카테고리"),
    "preferred_brands": _weights("preferred_brands", "브랜드"),
}


def clean(field: str, value: Any) -> Any:
    """Validate and normalize one profile field."""
    check = _CHECKS.get(field)
    if check is None:
        raise _fail("field", f"unknown profile field {field!r}",
                    "바꿀 수 없는 항목이에요.")
    return check(value)


def clean_all(values: dict[str, Any]) -> dict[str, Any]:
    return {f: clean(f, v) for f, v in values.items()}
