#!/usr/bin/env bash
# Train the understanding (NLU) adapter on a CUDA machine that has no network, from the shipped
# GGUF: dequantize it into a plain HF folder (assistant.models.chatconvert, logits checked),
# then run finetune.train once per seed, side by side on the one GPU (bf16 LoRA, no nf4: a 0.5B
# model fits many times over). The adapters land in $OUT_DIR/s<seed>/adapter.
#
#   GGUF=/tmp/m/q.gguf DATA=var/nlu-gpu-data OUT_DIR=$OUT SEEDS="13 14" bash scripts/train_nlu_gpu.sh
#
# Data: python -m finetune.data --task nlu --nlu-plain-names ... (docs/benchmarks/nlu.md).
# STEPS/EXTRA override the length and any train flag (a CPU dry run: STEPS=2).
set -euo pipefail
: "${GGUF:?path of qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}" "${DATA:?finetune.data --task nlu folder}" "${OUT_DIR:?output folder}"
SEEDS=${SEEDS:-"13 14"}
STEPS=${STEPS:-2000}
BASE=${BASE:-/tmp/nlu-base-qwen0.5b}
PY=${PY:-python3}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p "$OUT_DIR"
if [ ! -f "$BASE/model.safetensors" ]; then
  "$PY" - "$GGUF" "$BASE" <<'EOF'
import json, sys, time
from pathlib import Path
from assistant.models.chatconvert import convert_gguf
t = time.time()
info = convert_gguf(Path(sys.argv[1]), Path(sys.argv[2]), "qwen0.5b")
print(json.dumps({"convert": info, "seconds": round(time.time() - t, 1)}))
EOF
fi
pids=()
for seed in $SEEDS; do
  "$PY" -m finetune.train --data "$DATA" --model "$BASE" --out "$OUT_DIR/s$seed" --qlora off \
      --max-steps "$STEPS" --epochs 3 --batch-size 16 --lr 2e-4 --warmup-steps 20 --max-len 512 \
      --lora-r 16 --lora-alpha 32 --target-modules q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj \
      --eval-every 50 --val-limit 400 --patience 4 --save-every 100000 --max-minutes "${MINUTES:-5}" \
      --seed "$seed" ${EXTRA:-} >"$OUT_DIR/s$seed.log" 2>&1 &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
for seed in $SEEDS; do tail -n 3 "$OUT_DIR/s$seed.log"; done
exit $rc
