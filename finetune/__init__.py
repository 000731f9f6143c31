"""Fine-tuning the chat model on the store's own grounded answers.

Owns: synthetic instruction data built from the catalog, the policies and shopper personas
(`finetune.data`), answers taken from the assistant's grounded pipeline with its template
generator (correct by construction, prompts built exactly as the app builds them),
quality gates and splits, LoRA/QLoRA supervised fine-tuning (`finetune.train`),
before/after evaluation on the held-out split (`finetune.evaluate`, `finetune.metrics`)
and merging an adapter into a full model folder (`finetune.export`).

Leaves to others: retrieval, dialogue logic, prompting and generation at inference time
(`assistant`), catalog and policy loading (`store`), model preparation (`assistant.models`).

Importing this package loads no model and touches no file: every heavy import lives inside
the function that needs it. Entry points:

    python -m finetune.data --out var/ft-data --limit 3000 --seed 13
    python -m finetune.train --data var/ft-data --model qwen0.5b --out var/ft-qwen \
        --intents search,product_question,policy --batch-size 2 --max-len 1024 --max-minutes 30
    python -m finetune.evaluate --data var/ft-data --model qwen0.5b \
        --adapter assets/adapters/qwen0.5b-shop-lora --limit 1000 --json --out var/ft-eval-all
    python -m finetune.bench --data var/ft-data --model qwen0.5b --adapter assets/adapters/qwen0.5b-shop-lora
    python -m finetune.export --model qwen0.5b --adapter assets/adapters/qwen0.5b-shop-lora --out var/merged

Measured commands and figures: docs/benchmarks/finetune.md.
"""

from __future__ import annotations


class FinetuneError(Exception):
    """A user-fixable problem (missing data, unknown model). `user_message` is Korean."""

    def __init__(self, message: str, user_message: str = "파인튜닝 작업을 진행할 수 없습니다.") -> None:
        super().__init__(message)
        self.user_message = user_message


def run_cli(main, make_parser) -> None:
    """The `__main__` block of every finetune command: a FinetuneError is one line on stderr, exit 2."""
    import sys

    try:
        code = main(make_parser().parse_args())
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    raise SystemExit(code)


__all__ = ["FinetuneError", "run_cli"]
