"""Consent, conversation history and feedback.

Turns are stored only for a signed-in customer with the history consent, with phone
numbers and e-mails masked, and each turn expires after `retention_days`
(`purge_expired(now)` removes expired turns and emptied sessions). Withdrawing the
history consent deletes the stored conversation; withdrawing personalization deletes
learned signals and pending proposals.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from profiles._base import StoreBase, iso, parse_iso
from profiles.errors import AnonymousSession, ValidationError
from profiles.masking import mask_pii
from profiles.models import CONSENT_KINDS, Consent

MAX_TURN_CHARS = 4000


class ConversationMixin(StoreBase):
    # -- consent -----------------------------------------------------------------------
    def _consent(self, customer_id: str) -> Consent:
        flags, stamps = {}, {}
        for kind, granted, updated_at in self.db.conn.execute(
                "SELECT kind, granted, updated_at FROM consents WHERE customer_id = ?",
                (customer_id,)):
            flags[kind], stamps[kind] = bool(granted), updated_at
        return Consent(**flags, updated_at=stamps)

    def consent(self, customer_id: str | None) -> Consent:
        """Current consent (all False for anonymous sessions)."""
        if customer_id is None:
            return Consent()
        return self._read(lambda: self._consent(self._require(customer_id, "consent")))

    def set_consent(self, customer_id: str | None, *, personalization: bool | None = None,
                    history: bool | None = None, marketing: bool | None = None,
                    source: str = "customer", now: datetime | None = None) -> Consent:
        """Set the given consent flags (None: unchanged), timestamped and change-logged."""
        if customer_id is None:
            raise AnonymousSession("set_consent")
        wanted = {"personalization": personalization, "history": history, "marketing": marketing}
        for kind, value in wanted.items():
            if value is not None and not isinstance(value, bool):
                raise ValidationError(kind, f"consent must be a bool, got {value!r}",
                                      "동의 여부는 예/아니요로만 정할 수 있어요.")
        ts = iso(now)

        def run() -> Consent:
            self._require(customer_id, "set_consent")
            before = self._consent(customer_id)
            for kind in CONSENT_KINDS:
                value = wanted[kind]
                if value is None or (getattr(before, kind) == value and kind in before.updated_at):
                    continue
                self.db.conn.execute(
                    "INSERT INTO consents (customer_id, kind, granted, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (customer_id, kind) DO UPDATE SET granted = excluded.granted,"
                    " updated_at = excluded.updated_at", (customer_id, kind, int(value), ts))
                self._log(customer_id, f"consent.{kind}", getattr(before, kind), value, source, ts)
                if not value:
                    self._forget(customer_id, kind)
            return self._consent(customer_id)
        return self._write(run)

    def _forget(self, customer_id: str, kind: str) -> None:
        conn = self.db.conn
        if kind == "history":
            conn.execute("DELETE FROM chat_turns WHERE customer_id = ?", (customer_id,))
            conn.execute("DELETE FROM chat_sessions WHERE customer_id = ?", (customer_id,))
        elif kind == "personalization":
            conn.execute("DELETE FROM signals WHERE customer_id = ?", (customer_id,))
            conn.execute("DELETE FROM proposals WHERE customer_id = ? AND status = 'pending'",
                         (customer_id,))

    # -- conversation history ----------------------------------------------------------
    def record_turn(self, customer_id: str | None, session_id: str, role: str, content: str, *,
                    now: datetime | None = None) -> bool:
        """Store one chat turn; returns False (nothing written) for anonymous sessions or
        without the history consent."""
        if customer_id is None:
            return False
        if role not in ("user", "assistant") or not isinstance(content, str) or not session_id:
            raise ValidationError("turn", f"bad turn role={role!r} session={session_id!r}",
                                  "대화 내용을 저장할 수 없어요.")
        moment = parse_iso(iso(now))
        ts, expires = iso(moment), iso(moment + timedelta(days=self.retention_days))
        content = mask_pii(content)[:MAX_TURN_CHARS]

        def run() -> bool:
            self._require(customer_id, "record_turn")
            if not self._consented(customer_id, "history"):
                return False
            owner = self._one("SELECT customer_id FROM chat_sessions WHERE id = ?", (session_id,))
            if owner is None:
                self.db.conn.execute("INSERT INTO chat_sessions (id, customer_id, started_at, "
                                     "expires_at) VALUES (?, ?, ?, ?)",
                                     (session_id, customer_id, ts, expires))
            elif owner != customer_id:
                raise ValidationError("session_id", "session belongs to another customer",
                                      "대화 세션이 올바르지 않아요.")
            else:
                self.db.conn.execute("UPDATE chat_sessions SET expires_at = ? WHERE id = ?",
                                     (expires, session_id))
            self.db.conn.execute(
                "INSERT INTO chat_turns (session_id, customer_id, role, content, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, customer_id, role, content, ts, expires))
            return True
        return self._write(run)

    def history(self, customer_id: str | None, session_id: str | None = None) -> list[dict]:
        """Stored turns as [{"role", "content", "session_id", "created_at"}], oldest first."""
        if customer_id is None:
            return []
        sql = ("SELECT session_id, role, content, created_at FROM chat_turns "
               "WHERE customer_id = ?")
        params: tuple = (customer_id,)
        if session_id is not None:
            sql, params = sql + " AND session_id = ?", (customer_id, session_id)
        return self._read(lambda: self._rows(sql + " ORDER BY id", params))

    def purge_expired(self, now: datetime | None = None) -> dict[str, int]:
        """Delete turns past their retention and sessions left without turns."""
        ts = iso(now)

        def run() -> dict[str, int]:
            turns = self.db.conn.execute("DELETE FROM chat_turns WHERE expires_at <= ?",
                                         (ts,)).rowcount
            sessions = self.db.conn.execute(
                "DELETE FROM chat_sessions WHERE expires_at <= ? AND NOT EXISTS "
                "(SELECT 1 FROM chat_turns t WHERE t.session_id = chat_sessions.id)",
                (ts,)).rowcount
            return {"chat_turns": turns, "chat_sessions": sessions}
        return self._write(run)

    # -- feedback ----------------------------------------------------------------------
    def add_feedback(self, customer_id: str | None, target_kind: str, target_id: str,
                     thumbs: int, *, comment: str = "",
                     product_info: tuple[str, str] | None = None,
                     now: datetime | None = None) -> int | None:
        """Thumbs up (+1) / down (-1) on an answer or a product; returns the feedback id,
        or None for anonymous sessions. With the personalization consent, product feedback
        with `product_info` (category, brand) also becomes a preference signal."""
        if customer_id is None:
            return None
        if target_kind not in ("answer", "product") or thumbs not in (1, -1) \
                or isinstance(thumbs, bool) or not target_id:
            raise ValidationError("feedback", f"bad feedback {target_kind!r} {thumbs!r}",
                                  "평가는 좋아요 또는 싫어요로 남겨 주세요.")
        ts = iso(now)
        comment = mask_pii(comment or "")[:1000]

        def run() -> int:
            self._require(customer_id, "add_feedback")
            cur = self.db.conn.execute(
                "INSERT INTO feedback (customer_id, target_kind, target_id, thumbs, comment, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (customer_id, target_kind, target_id, thumbs, comment, ts))
            if (target_kind == "product" and product_info
                    and self._consented(customer_id, "personalization")):
                self._add_signals(customer_id, [product_info], float(thumbs), "feedback", ts)
            return int(cur.lastrowid)
        return self._write(run)
