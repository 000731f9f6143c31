"""Proving who you are: signed session tokens, PIN attempt limits, the staff PIN.

- `SessionTokens`: `issue(customer_id)` returns `v1.<payload>.<hmac>` (HMAC-SHA256 over
  the customer id, expiry and a nonce, with a secret key); `verify(token)` returns the customer
  id, or None for a forged, malformed or expired token. Comparison is constant-time.
- `Lockout`: failed attempts per key (a customer id, "staff", a client address). After
  `max_failures` (5) failures within `lock_s` (300 s) the key is locked for `lock_s`. An attempt
  counts as a failure from the moment it starts and is refunded on success, so parallel
  guesses cannot slip past the limit.
- `Gate`: the two together plus the staff PIN hash; what the handlers call
  (`check_customer_pin`, `check_staff_pin`, `customer_of`).
- Secrets live in `var/secrets/` (mode 0700; files 0600), never in git: `session_key`
  (32 random bytes, hex) and `staff_pin` (PBKDF2 hash of a random 6-digit PIN, printed once
  when created). `python -m ui.auth init` (run by scripts/setup.sh) creates them; the app
  creates them too when missing. `JANGBOGI_STAFF_PIN` overrides the stored staff PIN.

    >>> clock = [1000.0]
    >>> tokens = SessionTokens(b"k" * 32, ttl_s=60, clock=lambda: clock[0])
    >>> t = tokens.issue("C001")
    >>> tokens.verify(t), tokens.verify(t[:-2] + "xx")
    ('C001', None)
    >>> clock[0] += 61
    >>> tokens.verify(t) is None
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from profiles.customers import check_pin, hash_pin
from profiles.masking import PiiMaskingFilter

log = logging.getLogger("jangbogi.auth")
log.addFilter(PiiMaskingFilter())   # a phone number typed as a customer id is masked at the source

MAX_FAILURES = 5
LOCK_S = 300
TOKEN_TTL_S = 3600
SECRETS_DIR = "secrets"
SESSION_KEY_FILE = "session_key"
STAFF_PIN_FILE = "staff_pin"

WRONG_PIN = "고객 번호 또는 PIN이 맞지 않아요."
WRONG_STAFF_PIN = "직원 PIN이 맞지 않아요."
BUSY = "로그인 요청이 많아 확인하지 못했어요. 잠시 후 다시 시도해 주세요."
WAIT_S = 20.0   # how long a sign-in waits for attempts already running from the same id or address


def locked_message(seconds: float) -> str:
    """The Korean lock message, rounded up to whole minutes.

    >>> locked_message(290)
    'PIN을 5번 잘못 입력해 5분 동안 잠겼어요. 5분 뒤에 다시 시도해 주세요.'
    >>> locked_message(30)
    'PIN을 5번 잘못 입력해 5분 동안 잠겼어요. 1분 뒤에 다시 시도해 주세요.'
    """
    minutes = max(1, -(-int(seconds) // 60))
    return (f"PIN을 {MAX_FAILURES}번 잘못 입력해 {LOCK_S // 60}분 동안 잠겼어요. "
            f"{minutes}분 뒤에 다시 시도해 주세요.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionTokens:
    """Stateless signed tokens naming one customer until an expiry time."""

    def __init__(self, secret: bytes, ttl_s: float = TOKEN_TTL_S, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("session secret must be at least 16 bytes")
        self._secret, self.ttl_s, self._clock = secret, ttl_s, clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, f"v1.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, customer_id: str) -> str:
        body = {"sub": customer_id, "exp": int(self._clock() + self.ttl_s), "n": secrets.token_hex(8)}
        payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode())
        return f"v1.{payload}.{self._sign(payload)}"

    def verify(self, token: str | None) -> str | None:
        """The customer id of a valid, unexpired token; None otherwise (never raises)."""
        if not isinstance(token, str) or len(token) > 1024 or token.count(".") != 2:
            return None
        version, payload, signature = token.split(".")
        if version != "v1" or not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            body = json.loads(_unb64(payload))
            sub, exp = body["sub"], float(body["exp"])
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(sub, str) or not sub or self._clock() >= exp:
            return None
        return sub


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)   # start times of failed (or running) attempts
    locked_until: float = 0.0
    running: int = 0                                       # attempts begun and not yet resolved


class Lockout:
    """Failed-attempt limits per key; thread-safe, in memory (one app process).

    A running attempt holds one of the key's `max_failures` places, so parallel guesses
    cannot pass the limit. When the places are taken only by running attempts (not by
    failures), `begin(..., wait_s=)` waits for one to finish instead of refusing: twenty
    shoppers signing in at once from one address (a store's Wi-Fi, a proxy) are served in
    turn, not told they are locked."""

    def __init__(self, max_failures: int = MAX_FAILURES, lock_s: float = LOCK_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.max_failures, self.lock_s, self._clock = max_failures, lock_s, clock
        self._records: dict[str, _Record] = {}
        self._mutex = threading.Lock()
        self._resolved = threading.Condition(self._mutex)

    def _record(self, key: str, now: float) -> _Record:
        rec = self._records.setdefault(key, _Record())
        rec.failures = [t for t in rec.failures if now - t < self.lock_s]
        return rec

    def _wait(self, rec: _Record, now: float, count_running: bool = True) -> float:
        if rec.locked_until > now:
            return rec.locked_until - now
        taken = len(rec.failures) - (0 if count_running else min(rec.running, len(rec.failures)))
        return float(self.lock_s) if taken >= self.max_failures else 0.0

    def locked_for(self, *keys: str) -> float:
        """Seconds until every key may try again (0 = free)."""
        with self._mutex:
            now = self._clock()
            return max([self._wait(self._record(k, now), now) for k in keys] + [0.0])

    def begin(self, *keys: str, wait_s: float = 0.0) -> tuple[float, float]:
        """Start an attempt: (seconds locked, 0) when refused, else (0, attempt stamp).

        With `wait_s` > 0, an attempt blocked only by running attempts waits up to `wait_s`
        seconds for them; (-1, 0) when they are still running then (busy, not locked)."""
        deadline = time.monotonic() + wait_s
        with self._mutex:
            while True:
                now = self._clock()
                recs = [self._record(k, now) for k in keys]
                locked = max([self._wait(r, now, count_running=False) for r in recs] + [0.0])
                if locked:
                    return locked, 0.0
                if not any(self._wait(r, now) for r in recs):
                    for r in recs:
                        r.failures.append(now)
                        r.running += 1
                    return 0.0, now
                left = deadline - time.monotonic()
                if left <= 0:
                    return (-1.0 if wait_s > 0 else float(self.lock_s)), 0.0
                self._resolved.wait(left)

    def _done(self, rec: _Record | None) -> None:
        if rec is not None:
            rec.running = max(0, rec.running - 1)

    def failed(self, stamp: float, *keys: str) -> float:
        """The attempt `stamp` failed; returns the lock seconds it caused (0 if none)."""
        with self._mutex:
            now, wait = self._clock(), 0.0
            for k in keys:
                rec = self._record(k, now)
                self._done(rec)
                if len(rec.failures) - rec.running >= self.max_failures:
                    rec.locked_until, rec.failures = now + self.lock_s, []
                    wait = float(self.lock_s)
            self._sweep(now)
            self._resolved.notify_all()
            return wait

    def succeeded(self, stamp: float, id_key: str, *other_keys: str) -> None:
        """Refund the attempt; a success also clears the id's earlier failures."""
        with self._mutex:
            rec = self._records.pop(id_key, None)
            if rec is not None and rec.running > 1:   # other attempts at this id still running
                self._records[id_key] = _Record(running=rec.running - 1)
            for k in other_keys:
                rec = self._records.get(k)
                if rec and stamp in rec.failures:
                    rec.failures.remove(stamp)
                self._done(rec)
            self._resolved.notify_all()

    def _sweep(self, now: float) -> None:
        if len(self._records) > 10_000:
            self._records = {k: r for k, r in self._records.items()
                             if r.running or r.locked_until > now or any(now - t < self.lock_s for t in r.failures)}


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    message: str = ""      # Korean, for the user when not ok


class Gate:
    """Tokens + lockout + staff PIN: every PIN check in the app goes through here."""

    def __init__(self, tokens: SessionTokens, staff_pin_hash: str | None, lockout: Lockout | None = None) -> None:
        self.tokens, self.staff_pin_hash = tokens, staff_pin_hash
        self.lockout = lockout or Lockout(clock=tokens._clock)

    @classmethod
    def ephemeral(cls, staff_pin: str | None = None, clock: Callable[[], float] = time.time,
                  ttl_s: float = TOKEN_TTL_S) -> "Gate":
        """A gate with a random in-memory secret (tests, one-off tools)."""
        return cls(SessionTokens(secrets.token_bytes(32), ttl_s, clock),
                   hash_pin(staff_pin) if staff_pin else None, Lockout(clock=clock))

    @classmethod
    def from_settings(cls, settings, out=None) -> "Gate":
        var_dir = Path(settings.var_dir)
        pin_hash = hash_pin(settings.staff_pin) if settings.staff_pin else ensure_staff_pin(var_dir, out)
        return cls(SessionTokens(ensure_session_key(var_dir), settings.session_ttl_s), pin_hash)

    def _check(self, keys: tuple[str, ...], verify: Callable[[], bool], wrong: str, who: str,
               client: str) -> PinCheck:
        wait, stamp = self.lockout.begin(*keys, wait_s=WAIT_S)
        if wait < 0:
            log.warning("pin attempt for %s from client %s not checked: too many running", who, client)
            return PinCheck(False, BUSY)
        if wait:
            log.warning("pin attempt refused (locked) for %s from client %s", who, client)
            return PinCheck(False, locked_message(wait))
        try:
            ok = verify()
        except Exception:
            ok = False
        if ok:
            self.lockout.succeeded(stamp, *keys)
            log.info("pin accepted for %s from client %s", who, client)
            return PinCheck(True)
        locked = self.lockout.failed(stamp, *keys)
        log.warning("pin rejected for %s from client %s%s", who, client, " (now locked)" if locked else "")
        return PinCheck(False, locked_message(locked) if locked else wrong)

    def check_customer_pin(self, profiles, customer_id: str, pin: str, client: str = "") -> PinCheck:
        verify = lambda: _verify_customer(profiles, customer_id, pin)  # noqa: E731
        return self._check((f"customer:{customer_id}", f"client:{client}"), verify, WRONG_PIN,
                           f"customer {customer_id!r}", client)

    def check_staff_pin(self, pin: str, client: str = "") -> PinCheck:
        stored = self.staff_pin_hash
        verify = lambda: bool(stored) and isinstance(pin, str) and check_pin(pin, stored)  # noqa: E731
        return self._check(("staff", f"client:{client}"), verify, WRONG_STAFF_PIN, "staff", client)

    def customer_of(self, token: str | None) -> str | None:
        return self.tokens.verify(token)


_DUMMY_HASH: list[str] = []


def _verify_customer(profiles, customer_id: str, pin: str) -> bool:
    """`profiles.verify_pin`, taking as long for an unknown id (no hash to check) as for a
    wrong PIN, so response times do not tell which customer ids exist."""
    if not isinstance(pin, str) or not pin:
        return False
    started = time.perf_counter()
    ok = bool(profiles.verify_pin(customer_id, pin))
    if not ok and time.perf_counter() - started < 0.01:   # no PBKDF2 ran: spend the same work
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_pin(secrets.token_hex(4)))
        check_pin(pin, _DUMMY_HASH[0])
    return ok


# ---- secrets in var/ -----------------------------------------------------------------------
def _secrets_dir(var_dir: Path) -> Path:
    d = Path(var_dir) / SECRETS_DIR
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _create_private(path: Path, text: str) -> bool:
    """Write `text` to a new file readable by its owner only; False when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return True


def _read_private(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        log.warning("%s was readable by others; restricting it to its owner", path.name)
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def ensure_session_key(var_dir: Path) -> bytes:
    """The HMAC key for session tokens, created (32 random bytes) on first use."""
    path = _secrets_dir(var_dir) / SESSION_KEY_FILE
    _create_private(path, secrets.token_hex(32) + "\n")
    key = bytes.fromhex(_read_private(path))
    if len(key) < 16:
        raise ValueError(f"{path} holds a key shorter than 16 bytes; delete it to make a new one")
    return key


def ensure_staff_pin(var_dir: Path, out=None) -> str:
    """The stored staff PIN hash; a new random 6-digit PIN is made (and printed once) when missing."""
    path = _secrets_dir(var_dir) / STAFF_PIN_FILE
    pin = f"{secrets.randbelow(10**6):06d}"
    if _create_private(path, hash_pin(pin) + "\n"):
        print(f"[장보기] 직원 화면 PIN을 새로 만들었어요 (지금 한 번만 보여 드려요): {pin}\n"
              f"         잊어버리면 {path} 파일을 지우고 다시 실행하세요. "
              "JANGBOGI_STAFF_PIN 환경 변수로 직접 정할 수도 있어요.", file=out or sys.stderr)
    return _read_private(path)


def main(argv: list[str] | None = None) -> int:
    """`python -m ui.auth init [--var DIR]`: create the session key and staff PIN if missing."""
    import argparse

    from assistant.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m ui.auth", description="세션 키와 직원 PIN 준비")
    parser.add_argument("command", choices=("init",))
    parser.add_argument("--var", type=Path, default=None, help="state folder (default: Settings.var_dir)")
    args = parser.parse_args(argv)
    var_dir = args.var or Settings.from_env().var_dir
    ensure_session_key(var_dir)
    ensure_staff_pin(var_dir, out=sys.stdout)
    print(f"[setup] secrets ready in {Path(var_dir) / SECRETS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
