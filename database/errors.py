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
