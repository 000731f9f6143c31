"""Deprecated alias: `python -m assistant.nlu_eval ...` = `python -m assistant.nlu eval ...`.

Kept for one release so that existing scripts and docs keep working; it will be removed.
"""

from __future__ import annotations

import sys

from assistant.nlu.evaluate import main

if __name__ == "__main__":
    print("[assistant.nlu_eval] deprecated: use `python -m assistant.nlu eval`", file=sys.stderr)
    sys.exit(main(sys.argv[1:]))
