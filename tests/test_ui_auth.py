"""ui.auth: signed tokens, attempt limits, secrets in var/, demo-mode setting."""

from __future__ import annotations

import base64
import doctest
import io
import json
import stat
import subprocess
import sys
import threading
import time

import pytest

import ui.auth as auth
from assistant.settings import DEFAULT_DB_PATH, Settings
from ui.auth import Gate, Lockout, SessionTokens


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class PinProfiles:
    """verify_pin only: C001 -> 1234, C002 -> 5678."""

    pins = {"C001": "1234", "C002": "5678"}

    def verify_pin(self, customer_id, pin):
        return self.pins.get(customer_id) == pin


def test_doctests():
    assert doctest.testmod(auth).failed == 0


def test_token_round_trip_and_expiry():
    clock = Clock()
    tokens = SessionTokens(b"s" * 32, ttl_s=3600, clock=clock)
    token = tokens.issue("C001")
    assert tokens.verify(token) == "C001"
    clock.t += 3599
    assert tokens.verify(token) == "C001"
    clock.t += 1
    assert tokens.verify(token) is None


def test_forged_tokens_are_refused():
    tokens = SessionTokens(b"s" * 32)
    token = tokens.issue("C001")
    version, payload, sig = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["sub"] = "C002"
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert tokens.verify(f"{version}.{forged_payload}.{sig}") is None          # other customer, old signature
    assert SessionTokens(b"x" * 32).verify(token) is None                      # another key
    assert tokens.verify(token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")) is None
    for junk in (None, "", "C001", "a.b", "v1..", "v2." + token[3:], "v1.x.y", 123, "v1." + "A" * 5000 + ".x"):
        assert tokens.verify(junk) is None
    with pytest.raises(ValueError):
        SessionTokens(b"short")


def test_tokens_differ_each_time_and_hold_no_secret():
    tokens = SessionTokens(b"s" * 32)
    a, b = tokens.issue("C001"), tokens.issue("C001")
    assert a != b and "s" * 8 not in a


def test_lockout_after_five_failures_then_unlocks():
    clock = Clock()
    gate = Gate(SessionTokens(b"s" * 32, clock=clock), None, Lockout(clock=clock))
    for _ in range(4):
        check = gate.check_customer_pin(PinProfiles(), "C001", "0000", "1.2.3.4")
        assert not check.ok and check.message == auth.WRONG_PIN
    fifth = gate.check_customer_pin(PinProfiles(), "C001", "0000", "1.2.3.4")
    assert not fifth.ok and "5분" in fifth.message and "잠겼어요" in fifth.message
    # the right PIN is refused while locked, from any client
    assert "잠겼어요" in gate.check_customer_pin(PinProfiles(), "C001", "1234", "5.6.7.8").message
    clock.t += 299
    assert not gate.check_customer_pin(PinProfiles(), "C001", "1234", "5.6.7.8").ok
    clock.t += 2
    assert gate.check_customer_pin(PinProfiles(), "C001", "1234", "5.6.7.8").ok


def test_success_clears_the_ids_failures():
    clock = Clock()
    gate = Gate(SessionTokens(b"s" * 32, clock=clock), None, Lockout(clock=clock))
    for _ in range(4):
        gate.check_customer_pin(PinProfiles(), "C001", "0000", "a")
    assert gate.check_customer_pin(PinProfiles(), "C001", "1234", "b").ok
    for _ in range(4):
        assert gate.check_customer_pin(PinProfiles(), "C001", "0000", "c").message == auth.WRONG_PIN


def test_one_client_guessing_across_ids_is_locked():
    clock = Clock()
    gate = Gate(SessionTokens(b"s" * 32, clock=clock), None, Lockout(clock=clock))
    for i in range(5):
        gate.check_customer_pin(PinProfiles(), f"C10{i}", "1234", "9.9.9.9")
    assert "잠겼어요" in gate.check_customer_pin(PinProfiles(), "C001", "1234", "9.9.9.9").message
    assert gate.check_customer_pin(PinProfiles(), "C001", "1234", "8.8.8.8").ok   # other clients unaffected


def test_parallel_guesses_cannot_pass_the_limit():
    lock = Lockout(max_failures=5, lock_s=300)
    started = [lock.begin("customer:C001", "client:x") for _ in range(8)]
    assert [w == 0 for w, _ in started] == [True] * 5 + [False] * 3


def test_concurrent_wrong_pins_are_counted_exactly():
    gate, calls, mutex = Gate.ephemeral(), [], threading.Lock()

    class Slow(PinProfiles):
        def verify_pin(self, customer_id, pin):
            with mutex:
                calls.append(pin)
            time.sleep(0.2)
            return False

    threads = [threading.Thread(target=gate.check_customer_pin, args=(Slow(), "C001", f"{i:04d}", f"10.0.0.{i}"))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 5      # 20 parallel guesses at one id: only 5 PINs were ever checked


def test_staff_pin_constant_time_hash_check():
    gate = Gate.ephemeral(staff_pin="482913")
    assert gate.staff_pin_hash.startswith("pbkdf2_sha256$") and "482913" not in gate.staff_pin_hash
    assert not gate.check_staff_pin("2580").ok and gate.check_staff_pin("482913").ok
    assert not Gate.ephemeral().check_staff_pin("").ok          # no PIN configured: nothing opens


def test_secrets_are_created_private_and_stable(tmp_path):
    key = auth.ensure_session_key(tmp_path)
    assert len(key) == 32 and auth.ensure_session_key(tmp_path) == key
    d = tmp_path / "secrets"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE((d / "session_key").stat().st_mode) == 0o600
    (d / "session_key").chmod(0o644)
    assert auth.ensure_session_key(tmp_path) == key
    assert stat.S_IMODE((d / "session_key").stat().st_mode) == 0o600


def test_staff_pin_is_random_printed_once_and_stored_hashed(tmp_path):
    out = io.StringIO()
    stored = auth.ensure_staff_pin(tmp_path, out)
    pin = out.getvalue().split(": ")[1].split()[0]
    assert len(pin) == 6 and pin.isdigit() and pin not in (tmp_path / "secrets" / "staff_pin").read_text()
    again = io.StringIO()
    assert auth.ensure_staff_pin(tmp_path, again) == stored and again.getvalue() == ""
    gate = Gate.from_settings(Settings.from_env({"JANGBOGI_VAR": str(tmp_path)}))
    assert gate.check_staff_pin(pin).ok and not gate.check_staff_pin("2580").ok


def test_staff_pin_from_environment_wins(tmp_path):
    gate = Gate.from_settings(Settings.from_env({"JANGBOGI_VAR": str(tmp_path), "JANGBOGI_STAFF_PIN": "7777"}))
    assert gate.check_staff_pin("7777").ok
    assert not (tmp_path / "secrets" / "staff_pin").exists()


def test_init_command(tmp_path, repo_root):
    out = subprocess.run([sys.executable, "-m", "ui.auth", "init", "--var", str(tmp_path)], cwd=repo_root,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "직원 화면 PIN" in out.stdout and (tmp_path / "secrets" / "session_key").exists()
    second = subprocess.run([sys.executable, "-m", "ui.auth", "init", "--var", str(tmp_path)], cwd=repo_root,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "직원 화면 PIN" not in second.stdout


@pytest.mark.parametrize("env, expected", [
    ({"JANGBOGI_MODE": "spaces"}, True),
    ({"JANGBOGI_MODE": "spaces", "JANGBOGI_DB": "/tmp/other.db"}, False),
    ({"JANGBOGI_MODE": "browser"}, False),
    ({"JANGBOGI_MODE": "kiosk"}, False),
    ({"JANGBOGI_MODE": "browser", "JANGBOGI_DEMO": "1"}, True),
    ({"JANGBOGI_MODE": "spaces", "JANGBOGI_DEMO": "off"}, False),
])
def test_demo_mode_setting(env, expected):
    assert Settings.from_env(env).demo_mode is expected
    assert Settings.from_env({}).db_path == DEFAULT_DB_PATH


def test_demo_setting_rejects_nonsense():
    with pytest.raises(ValueError):
        Settings.from_env({"JANGBOGI_DEMO": "maybe"})


def test_app_parser_demo_flags():
    import app

    assert app.make_parser().parse_args(["--demo"]).demo == "on"
    assert app.make_parser().parse_args(["--no-demo"]).demo == "off"
    assert Settings.from_args(app.make_parser().parse_args(["--demo"]), {}).demo_mode
