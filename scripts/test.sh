#!/usr/bin/env bash
# Set everything up (skipping finished steps) and run every test that can run on this machine.
# Extra args go to pytest, e.g. scripts/test.sh -m "not browser" -k retrieval
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False
# lint first (ruff.toml: pyflakes, bugbear, isort): a finding fails the test command
.venv/bin/ruff check . || { echo "[test] ruff found problems (make lint)" >&2; exit 1; }
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" = "5" ]; then
  echo "[test] pytest collected no tests: that is a failure for this project" >&2
  exit 1
fi
exit "$rc"
