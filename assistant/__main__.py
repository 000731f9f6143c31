"""`python -m assistant ask ...` (see `assistant/cli.py` for the options and examples)."""

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
