#!/usr/bin/env bash
# The GPU check: on one GPU, with no network, from a fresh copy of the repository plus the
# wheels it needs. Runs the CUDA tests, then bench/gpu_check.py (bf16 LoRA of a tiny Qwen3,
# MiniLM fine-tuned on the shared hh-rlhf pairs) with the CPU figures beside the GPU's.
#
#   bench/gpu_check.sh [WHEELS_DIR]
#
# WHEELS_DIR (or AAR_WHEELS): a folder of wheels for `pip install --no-index`, used only
# when .venv is missing; made on a machine with network by
#   pip download --dest wheels torch==2.13.0 -e '.[dev]'
# (torch from the CUDA index for the GPU's driver). The hh-rlhf file is read from
# ../shared/data/hh-rlhf (AAR_HH_FILE moves it). Everything stops after 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_NO_INDEX=1 HF_ENDPOINT=http://127.0.0.1:9
wheels="${1:-${AAR_WHEELS:-}}"
data="${AAR_HH_FILE:-../shared/data/hh-rlhf/harmless-base-test.jsonl.gz}"
deadline=$((SECONDS + 480))

left() { echo $((deadline - SECONDS)); }

if [ ! -x .venv/bin/python ]; then
    if [ -z "$wheels" ]; then
        echo "no .venv here and no wheels given: bench/gpu_check.sh WHEELS_DIR" >&2
        exit 2
    fi
    python3 -m venv .venv
    .venv/bin/pip install --quiet --no-index --find-links "$wheels" -e '.[dev]'
fi
if ! .venv/bin/python -c 'import torch, sys; sys.exit(not torch.cuda.is_available())'; then
    echo "torch sees no CUDA device: install torch's CUDA build and check nvidia-smi" >&2
    exit 1
fi
nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader || true

echo "== CUDA tests"
AAR_REQUIRE_CUDA=1 timeout "$(left)" .venv/bin/python -m pytest -q -x \
    tests/w2s/text/test_cuda.py tests/w2s/text/test_lora.py
echo "== LoRA and MiniLM on the GPU, against the CPU"
timeout "$(left)" .venv/bin/python bench/gpu_check.py --data "$data"
echo "gpu check done in ${SECONDS}s"
