"""Errors of the database layer, each with a Korean `user_message` and an English `str()`.

    >>> DatabaseBusy("locked").user_message
    '지금 요청이 많아 저장하지 못했어요. 잠시 후 다시 시도해 주세요.'
"""

from __future__ import annotations


class DatabaseBusy(Exception):
    """Another connection held the write lock past the retry deadline; nothing was written."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"database busy after retries: {detail}")
        self.user_message = "지금 요청이 많아 저장하지 못했어요. 잠시 후 다시 시도해 주세요."


class DatabaseUnavailable(Exception):
    """The database cannot be written: read-only file or disk, disk full, or an I/O error.
    Nothing of the transaction was written (SQLite rolled it back).

    >>> exc = DatabaseUnavailable("readonly", "attempt to write a readonly database")
    >>> exc.kind, "읽기 전용" in exc.user_message
    ('readonly', True)
    """

    MESSAGES = {
        "readonly": "지금은 매장 데이터베이스에 저장할 수 없어요(읽기 전용). 아무것도 바뀌지 않았고 "
                    "장바구니는 그대로 있어요. 잠시 후 다시 시도하시거나 직원에게 알려 주세요.",
        "full": "저장 공간이 가득 차서 저장하지 못했어요. 아무것도 바뀌지 않았고 장바구니는 그대로 있어요. "
                "잠시 후 다시 시도하시거나 직원에게 알려 주세요.",
        "io": "저장 장치 오류로 저장하지 못했어요. 아무것도 바뀌지 않았고 장바구니는 그대로 있어요. "
              "잠시 후 다시 시도하시거나 직원에게 알려 주세요.",
    }

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"database not writable ({kind}): {detail}")
        self.kind = kind
        self.user_message = self.MESSAGES.get(kind, self.MESSAGES["io"])
