"""Masking of phone numbers and e-mail addresses, for log records and stored chat turns.

    >>> mask_pii("연락처 010-1234-5678, 01098765432, kim.minji@example.co.kr")
    '연락처 010-****-5678, 010-****-5432, k***@example.co.kr'
    >>> mask_pii("")
    ''

`PiiMaskingFilter` rewrites each record's message (arguments included) before any handler
sees it; `install_log_masking()` attaches it to the handlers of a logger (root by default).
Leaves out: names and addresses (free text cannot be masked reliably; keep them out of
logs by logging ids instead).
"""

from __future__ import annotations

import logging
import re

# Korean mobile (010/011/016-019) and Seoul/area landlines, with -, space, . or nothing.
_PHONE = re.compile(r"(?<!\d)(01[016789]|02|0[3-6]\d)[-. ]?(\d{3,4})[-. ]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def mask_pii(text: str) -> str:
    text = _PHONE.sub(lambda m: f"{m.group(1)}-****-{m.group(3)}", text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


class PiiMaskingFilter(logging.Filter):
    """A logging filter that masks phone numbers and e-mails in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_pii(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def install_log_masking(logger: logging.Logger | None = None) -> PiiMaskingFilter:
    """Attach one `PiiMaskingFilter` to `logger` and to each of its handlers (idempotent)."""
    logger = logger or logging.getLogger()
    for target in [logger, *logger.handlers]:
        if not any(isinstance(f, PiiMaskingFilter) for f in target.filters):
            target.addFilter(PiiMaskingFilter())
    return next(f for f in logger.filters if isinstance(f, PiiMaskingFilter))
