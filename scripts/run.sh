#!/usr/bin/env bash
# Set everything up (skipping finished steps) and start the app. Extra args go to app.py,
# e.g. scripts/run.sh --mode kiosk --port 7861
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"
