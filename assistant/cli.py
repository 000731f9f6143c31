"""Headless CLI: `python -m assistant ask ...` for scripting, integration and evaluation.

    python -m assistant ask "비건 간식 만원 이하로 추천해줘" --no-llm
    python -m assistant ask "두 번째 거 2개 담아줘" --session demo --json
    python -m assistant ask --batch requests.jsonl --json --no-llm > answers.jsonl

Batch lines are `{"id", "message", "customer"?}`; output is one JSON line per input, in order;
a bad line gives `{"id", "error": "<Korean message>"}` and the batch goes on. `--session S`
keeps the dialogue state in `<var>/sessions/S.json` (var = folder of the database).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

from assistant.settings import Settings, add_cli_args

SETTINGS_FLAGS = ("chat_model", "adapter", "quantization", "device", "embedding_model", "llm_endpoint",
                  "llm_endpoint_model", "llm_api_key", "no_llm", "max_new_tokens", "generation_timeout_s",
                  "fusion_alpha", "data_dir", "cache_dir", "index_dir", "db_path", "now", "weather")
SESSION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

EXAMPLES = """examples:
  python -m assistant ask "비건 간식 만원 이하로 추천해줘" --no-llm
  python -m assistant ask "두 번째 거 담아줘" --session demo --customer C001 --json
  python -m assistant ask --batch requests.jsonl --json --no-llm
  python -m assistant ask "방금 주문 취소해 주세요" --session demo --customer C001 --now 2026-11-26T21:00 --json
  python -m assistant ask "사진 보냈어요" --session demo --customer C001 --photo strawberry.jpg --json
"""


class CliError(Exception):
    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="장보기 도우미 (headless)",
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="ask one message or a JSONL batch", epilog=EXAMPLES,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    ask.add_argument("message", nargs="?", help="Korean message, e.g. \"만원 이하 비건 간식\"")
    ask.add_argument("--batch", type=Path, help="JSONL file of {id, message, customer?} lines ('-' = stdin)")
    ask.add_argument("--customer", help="customer id, e.g. C001 (default: anonymous)")
    ask.add_argument("--session", help="session name; the dialogue continues across calls")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON line")
    ask.add_argument("--photo", type=Path, help="image file for a quality claim (e.g. a photo of soft strawberries)")
    add_cli_args(ask, only=SETTINGS_FLAGS)
    return parser


def session_path(settings: Settings, name: str) -> Path:
    if not SESSION_NAME.match(name):
        raise CliError(f"bad session name {name!r}", "세션 이름은 영문, 숫자, '-', '_', '.'로 64자까지 쓸 수 있어요.")
    return Path(settings.db_path).parent / "sessions" / f"{name}.json"


def parse_now(text: str | None):
    """`--now` / JANGBOGI_NOW as an aware datetime (KST when no zone); None for the real clock."""
    if not text:
        return None
    from store.delivery import kst

    try:
        return kst(text)
    except ValueError as exc:
        raise CliError(f"bad --now {text!r}", "--now는 2026-11-26T21:00 같은 ISO 시각으로 써 주세요.") from exc


def load_state(path: Path | None):
    from assistant.types import DialogueState

    if path is None or not path.exists():
        return DialogueState(session_id=path.stem if path else "")
    try:
        return DialogueState.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise CliError(f"cannot read session {path}: {exc}", "세션 파일을 읽을 수 없어요. 새 세션 이름을 써 주세요.") from exc


def save_state(path: Path, state) -> None:
    """Atomic write: temp file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state.to_dict(), fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _error(id_, exc: BaseException) -> dict:
    msg = getattr(exc, "user_message", None) or "요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요."
    return {"id": id_, "error": msg}


def run_one(assistant, message, state, customer, id_=None, stream_to=None, now=None, photo=None) -> dict:
    """One turn; user-caused errors become `{"id", "error"}` instead of a traceback."""
    try:
        if not isinstance(message, str):
            raise CliError("message is not a string", "'message'에 문자열 메시지를 넣어 주세요.")
        final, shown = None, ""
        extra = {k: v for k, v in (("now", now), ("photo", photo)) if v is not None}
        for event in assistant.respond(message, state, customer, id=id_, **extra):
            if event["type"] == "token" and stream_to is not None:
                shown += event["text"]
                stream_to.write(event["text"])
                stream_to.flush()
            elif event["type"] == "status" and stream_to is not None:
                print(f"[{event['text']}]", file=sys.stderr)
            elif event["type"] == "done":
                final = event["answer"]
        if stream_to is not None and shown.strip() != final["reply"].strip():
            final = {**final, "_replaced": True}   # validator replaced what was streamed
        return final
    except Exception as exc:
        if getattr(exc, "user_message", None) is None:
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return _error(id_, exc)


def iter_batch(lines):
    """(id, message, customer, error) per non-empty line (str, or bytes decoded as UTF-8 per line)."""
    for n, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError:
                yield f"line-{n}", None, None, CliError("not utf-8", f"{n}번째 줄을 UTF-8로 읽을 수 없어요.")
                continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            yield f"line-{n}", None, None, CliError("bad json", f"{n}번째 줄이 올바른 JSON이 아니에요.")
            continue
        if not isinstance(row, dict):
            yield f"line-{n}", None, None, CliError("not an object", f"{n}번째 줄은 JSON 객체여야 해요.")
            continue
        id_ = row.get("id", f"line-{n}")
        message, customer = row.get("message"), row.get("customer")
        if not isinstance(message, str) or not message.strip():
            yield id_, None, None, CliError("missing message", "'message'에 메시지를 넣어 주세요.")
        elif customer is not None and not isinstance(customer, str):
            yield id_, None, None, CliError("bad customer", "'customer'는 문자열 고객 번호여야 해요.")
        else:
            yield id_, message, customer, None


def open_batch(path: Path):
    """The batch source as a binary file (lines are decoded one by one in `iter_batch`)."""
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise CliError(f"cannot open batch file {path}: {exc}", f"배치 파일을 열 수 없어요: {path}") from exc


def print_answer(answer: dict, as_json: bool, streamed: bool) -> None:
    if as_json:
        print(json.dumps(answer, ensure_ascii=False), flush=True)
        return
    if "error" in answer:
        print(f"오류: {answer['error']}")
        return
    if not streamed:
        print(answer["reply"])
    else:
        print()
        if answer.get("_replaced"):
            print(f"(확인된 답변)\n{answer['reply']}")
    if answer.get("sources"):
        print("출처: " + ", ".join(f"[{s['id']}] {s['title']}" for s in answer["sources"]))


def main(argv: list[str] | None = None, services=None) -> int:
    args = make_parser().parse_args(argv)
    if (args.message is None) == (args.batch is None):
        print("메시지 하나 또는 --batch FILE 중 하나를 주세요. (give a message or --batch)", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_args(args)
    except ValueError as exc:   # a bad option value (--now 어제, --fusion-alpha 7): say which, no traceback
        print(f"설정 값이 올바르지 않아요: {exc}", file=sys.stderr)
        return 2
    if args.message is not None:   # a message no turn can take fails before anything loads
        from assistant.service import check_message

        try:
            check_message(args.message)
        except ValueError as exc:
            print_answer(_error(None, exc), args.json, streamed=False)
            return 1
    batch = None
    try:
        now = parse_now(settings.now)
        photo = str(args.photo) if args.photo else None
        if args.photo and not args.photo.is_file():
            raise CliError(f"no photo at {args.photo}", f"사진 파일을 찾을 수 없어요: {args.photo}")
        path = session_path(settings, args.session) if args.session else None
        state = load_state(path)
        batch = open_batch(args.batch) if args.batch is not None else None
    except CliError as exc:
        print(json.dumps(_error(None, exc), ensure_ascii=False) if args.json else f"오류: {exc.user_message}")
        return 2
    if services is None:
        from assistant.factory import build_services, tqdm_progress

        try:
            services = build_services(settings, progress=tqdm_progress())
        except Exception as exc:
            msg = getattr(exc, "user_message", None) or "서비스를 시작하지 못했어요. 데이터와 모델을 확인해 주세요."
            print(f"{msg}\n({type(exc).__name__}: {exc})", file=sys.stderr)
            if args.json:
                print(json.dumps({"id": None, "error": msg}, ensure_ascii=False), flush=True)
            if batch is not None and batch is not sys.stdin.buffer:
                batch.close()
            return 1
    assistant = services.assistant
    if args.batch is None:
        stream = None if args.json else sys.stdout
        answer = run_one(assistant, args.message, state, args.customer, stream_to=stream, now=now, photo=photo)
        print_answer(answer, args.json, streamed=stream is not None)
        if path is not None and "error" not in answer:
            save_state(path, state)
        return 0 if "error" not in answer else 1
    from assistant.types import DialogueState

    with batch as fh:
        for id_, message, customer, err in iter_batch(fh):
            if err is not None:
                answer = _error(id_, err)
            else:
                turn_state = state if path is not None else DialogueState(session_id=str(id_))
                answer = run_one(assistant, message, turn_state, customer or args.customer, id_=id_, now=now)
            if args.json:
                print(json.dumps(answer, ensure_ascii=False), flush=True)
            else:
                print(f"[{id_}] " + answer.get("reply", "오류: " + answer.get("error", "")), flush=True)
    if path is not None:
        save_state(path, state)
    return 0
