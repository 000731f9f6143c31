"""`python -m assistant.nlu eval [options]`: accuracy of the understanding over labeled sets.

`python -m assistant.nlu eval --help` lists the options (see `assistant.nlu.evaluate`).
"""

from __future__ import annotations

import sys

from assistant.nlu.evaluate import main

USAGE = "usage: python -m assistant.nlu eval [--json] [--errors] [--data FILE] ..."


def run(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") and len(argv) == 1:
        print(USAGE)
        return 0 if argv else 2
    if argv[0] != "eval":
        print(f"알 수 없는 명령이에요 / unknown command: {argv[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    return main(argv[1:])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
