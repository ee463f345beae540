#!/usr/bin/env bash
# The accelerator check of the distilled student (bench/gpu_check.py), as one command for a GPU
# machine with CUDA PyTorch and transformers preinstalled and no network. Whole run: a few minutes
# on an H200, capped at 9 minutes. Arguments are passed through, e.g.
#   bench/gpu_check.sh --articles 20000 --batch-sizes 256,1024
# Writes bench/results/gpu_check.json (copy it back; `veille distill` puts it in the model card).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
exec timeout 540 "$PY" bench/gpu_check.py "$@"
