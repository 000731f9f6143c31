"""LoRA / QLoRA supervised fine-tuning on the grounded chat data (plain torch loop).

    # CI smoke (tiny model, 2 steps):
    python -m finetune.data --out var/ft-smoke --limit 60 --seed 1
    python -m finetune.train --data var/ft-smoke --model smollm2 --out var/ft-smoke-run --max-steps 2
    # the CPU run behind assets/adapters/qwen0.5b-shop-lora (docs/benchmarks/finetune.md; 80 steps,
    # the best validation loss was at step 40 and that adapter is the shipped one):
    python -m finetune.train --data var/ft-data --model qwen0.5b --out var/ft-qwen \
        --intents search,product_question,policy --max-steps 80 --epochs 1 --batch-size 2 --lr 3e-4 \
        --warmup-steps 5 --max-len 1024 --eval-every 20 --val-limit 12 --save-every 10 --max-minutes 40 --seed 13
    # continue after an interruption (same flags plus --resume):
    python -m finetune.train ... --resume

Loss on the final assistant reply only (prompt tokens masked with -100); seeded; a
checkpoint (adapter + optimizer + step) every `--save-every` steps; validation loss every
`--eval-every` steps with early stopping after `--patience` evaluations without
improvement; the best adapter is written to OUT/adapter (LoRA weights + adapter_config.json);
one JSON line per step/eval in OUT/train_log.jsonl. QLoRA (nf4 + prepare_model_for_kbit_training)
is used with `--qlora on`, or `auto` when CUDA is present.
Leaves out: data building (`finetune.data`) and merging (`finetune.export`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from finetune import run_cli


@dataclass(frozen=True)
class TrainConfig:
    data: Path = field(metadata={"help": "folder with train.jsonl / val.jsonl (from finetune.data)"})
    model: str = field(metadata={"help": "alias qwen0.5b|smollm2, hub id or local folder"})
    out: Path = field(metadata={"help": "output folder (checkpoints, adapter/, train_log.jsonl)"})
    max_steps: int = field(default=150, metadata={"help": "optimizer steps (caps epochs)"})
    epochs: float = field(default=3.0, metadata={"help": "passes over train.jsonl"})
    batch_size: int = field(default=4, metadata={"help": "rows per step"})
    lr: float = field(default=3e-4, metadata={"help": "peak learning rate (linear warmup, cosine decay)"})
    warmup_steps: int = field(default=8, metadata={"help": "linear warmup steps"})
    max_len: int = field(default=2048, metadata={"help": "token cap; longer rows are skipped (and reported), not cut"})
    lora_r: int = field(default=8, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    target_modules: str = field(default="q_proj,k_proj,v_proj,o_proj", metadata={"help": "comma-separated modules"})
    qlora: str = field(default="auto", metadata={"help": "auto (on with CUDA) | on | off"})
    eval_every: int = field(default=25, metadata={"help": "steps between validation losses"})
    val_limit: int = field(default=40, metadata={"help": "validation rows used (bounded CPU time)"})
    patience: int = field(default=3, metadata={"help": "evaluations without improvement before stopping"})
    save_every: int = field(default=25, metadata={"help": "steps between resumable checkpoints"})
    intents: str = field(default="", metadata={"help": "train only rows with these meta intents, e.g. search,product_question,policy (the ones the app sends to the model); empty = all"})
    max_minutes: float = field(default=0.0, metadata={"help": "stop (and keep the best adapter) after this many minutes; 0 = no limit"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads; 0 = torch default"})
    layers: str = field(default="", metadata={"help": "LoRA only on these layers, e.g. 12-23 (backward stops there); empty = all"})
    seed: int = field(default=13, metadata={"help": "seed for data order, dropout and LoRA init"})
    resume: bool = field(default=False, metadata={"help": "continue from OUT/checkpoint"})
    cache_dir: str = field(default="~/.cache/jangbogi", metadata={"help": "prepared models cache"})


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):
            p.add_argument(flag, action="store_true", help=f.metadata["help"])
        elif f.default is dataclasses.MISSING:
            p.add_argument(flag, required=True, help=f.metadata["help"])
        else:
            p.add_argument(flag, default=f.default, help=f"{f.metadata['help']} (default {f.default})")
    return p


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    kinds = {"int": int, "float": float, "Path": Path, "str": str, "bool": bool}
    values = {}
    for f in dataclasses.fields(TrainConfig):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        values[f.name] = kinds[kind](getattr(args, f.name))
    return TrainConfig(**values)


def get_quantization_config(cfg: TrainConfig, cuda: bool):
    from finetune.modeling import choose_placement

    return choose_placement(cfg.qlora, cuda)


def batches(rows: list[dict], size: int, rng: random.Random):
    """Endless shuffled batches; rows of similar length are grouped to cut padding."""
    while True:
        order = rows[:]
        rng.shuffle(order)
        for i in range(0, len(order), size * 8):
            chunk = sorted(order[i:i + size * 8], key=lambda r: len(r["input_ids"]))
            group = [chunk[j:j + size] for j in range(0, len(chunk), size)]
            rng.shuffle(group)
            yield from group


def main(args: argparse.Namespace) -> int:
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training, set_peft_model_state_dict
    from safetensors.torch import load_file
    from tqdm import tqdm

    from finetune.modeling import (
        collate,
        encode_row,
        load_model,
        read_jsonl,
        reply_loss,
        resolve_model_path,
        row_tokens,
    )

    cfg = config_from_args(args)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    placement = get_quantization_config(cfg, torch.cuda.is_available())
    tok, model = load_model(resolve_model_path(cfg.model, cfg.cache_dir), placement)
    if placement.nf4:
        model = prepare_model_for_kbit_training(model)
    layers = None
    if cfg.layers:
        lo, _, hi = cfg.layers.partition("-")
        layers = list(range(int(lo), int(hi or lo) + 1))
    lora = LoraConfig(r=cfg.lora_r, layers_to_transform=layers, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, task_type="CAUSAL_LM",
                      target_modules=[m.strip() for m in cfg.target_modules.split(",") if m.strip()])
    model = get_peft_model(model, lora)
    def enc(rows: list[dict]) -> list[dict]:
        out, too_long = [], []
        for r in rows:
            e = encode_row(tok, r["messages"], cfg.max_len)
            if e:
                out.append(e)
            else:
                too_long.append((r.get("id", "?"), row_tokens(tok, r["messages"])))
        if too_long:
            longest = max(n for _, n in too_long)
            print(f"[train] skipped {len(too_long)} of {len(rows)} rows longer than --max-len {cfg.max_len} "
                  f"(longest {longest} tokens; e.g. {too_long[0][0]}: {too_long[0][1]})", flush=True)
        return out

    keep = {i.strip() for i in cfg.intents.split(",") if i.strip()}
    pick = lambda rows: [r for r in rows if not keep or r["meta"]["intent"] in keep]  # noqa: E731
    train_rows = pick(read_jsonl(cfg.data / "train.jsonl"))
    val_rows = [r for r in pick(read_jsonl(cfg.data / "val.jsonl")) if encode_row(tok, r["messages"], cfg.max_len)]
    val_rows = val_rows[:cfg.val_limit]
    train, val = enc(train_rows), enc(val_rows)
    if not train:
        raise SystemExit(f"no training rows fit --max-len {cfg.max_len}: raise it (see the lengths above)")
    steps = min(cfg.max_steps, math.ceil(cfg.epochs * len(train) / cfg.batch_size))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps))
                                              * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, steps)))))
    cfg.out.mkdir(parents=True, exist_ok=True)
    ckpt, log_path = cfg.out / "checkpoint", cfg.out / "train_log.jsonl"
    start, best, bad = 0, float("inf"), 0
    if cfg.resume and (ckpt / "state.pt").exists():
        set_peft_model_state_dict(model, load_file(str(ckpt / "adapter_model.safetensors")))
        state = torch.load(ckpt / "state.pt", weights_only=False)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start, best, bad = state["step"], state["best"], state["bad"]
        torch.set_rng_state(state["torch_rng"])
    device = next(model.parameters()).device
    rng = random.Random(cfg.seed)
    stream = batches(train, cfg.batch_size, rng)
    for _ in range(start):  # replay the data order so a resumed run sees the same batches
        next(stream)
    log = log_path.open("a", encoding="utf-8", buffering=1)
    info = {"event": "start", "train_rows": len(train), "skipped_long": len(train_rows) - len(train),
            "val_rows": len(val), "steps": steps, "placement": dataclasses.asdict(placement),
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad), "resume_from": start}
    log.write(json.dumps(info) + "\n")
    print(json.dumps(info), file=sys.stderr)

    def val_loss() -> float:
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(val), cfg.batch_size):
                b = {k: v.to(device) for k, v in collate(val[i:i + cfg.batch_size], tok.pad_token_id).items()}
                n = int((b["labels"][:, 1:] != -100).sum())
                total += float(reply_loss(model, b)) * n
                count += n
        model.train()
        return total / max(1, count)

    def save_adapter(folder: Path) -> None:
        """LoRA weights + adapter_config.json, naming the base model as given (alias or hub
        id) rather than this machine's cache path."""
        model.save_pretrained(str(folder))
        conf = folder / "adapter_config.json"
        data = json.loads(conf.read_text(encoding="utf-8"))
        data["base_model_name_or_path"] = cfg.model
        conf.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    def save(folder: Path, step: int) -> None:
        model.save_pretrained(str(folder))
        torch.save({"opt": opt.state_dict(), "sched": sched.state_dict(), "step": step, "best": best, "bad": bad,
                    "torch_rng": torch.get_rng_state()}, folder / "state.pt")

    if val and start == 0:
        best = val_loss()
        log.write(json.dumps({"event": "eval", "step": 0, "val_loss": round(best, 4)}) + "\n")
    model.train()
    began, skipped = time.monotonic(), 0
    bar = tqdm(range(start, steps), desc="train", initial=start, total=steps, file=sys.stderr)
    for step in bar:
        t0 = time.perf_counter()
        b = {k: v.to(device) for k, v in collate(next(stream), tok.pad_token_id).items()}
        loss = reply_loss(model, b)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        if torch.isfinite(norm):
            opt.step()
        else:   # one non-finite gradient would turn every LoRA weight into NaN: skip the batch, say so
            skipped += 1
        sched.step()
        opt.zero_grad(set_to_none=True)
        out_of_time = cfg.max_minutes > 0 and time.monotonic() - began > 60 * cfg.max_minutes
        rec = {"event": "step", "step": step + 1, "loss": round(loss.item(), 4), "lr": sched.get_last_lr()[0],
               "tokens": int(b["attention_mask"].sum()), "seconds": round(time.perf_counter() - t0, 2),
               "skipped_nonfinite": skipped}
        bar.set_postfix(loss=rec["loss"])
        if val and ((step + 1) % cfg.eval_every == 0 or step + 1 == steps or out_of_time):
            rec["val_loss"] = round(val_loss(), 4)
            if rec["val_loss"] < best - 1e-4:
                best, bad = rec["val_loss"], 0
                save_adapter(cfg.out / "adapter")
            else:
                bad += 1
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if (step + 1) % cfg.save_every == 0 or step + 1 == steps or out_of_time:
            save(ckpt, step + 1)
        if out_of_time:
            log.write(json.dumps({"event": "time_limit", "step": step + 1, "minutes": cfg.max_minutes}) + "\n")
            break
        if bad >= cfg.patience:
            log.write(json.dumps({"event": "early_stop", "step": step + 1, "best_val_loss": best}) + "\n")
            break
    if not val or not (cfg.out / "adapter" / "adapter_config.json").exists():
        save_adapter(cfg.out / "adapter")
    log.write(json.dumps({"event": "done", "best_val_loss": best if val else None}) + "\n")
    log.close()
    print(json.dumps({"adapter": str(cfg.out / "adapter"), "best_val_loss": best if val else None}))
    return 0


if __name__ == "__main__":
    run_cli(main, make_parser)
