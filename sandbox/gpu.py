"""GPUs for sandboxes: the device nodes a local sandbox needs, and usage from nvidia-smi."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess

# Device nodes every CUDA process needs besides its GPUs' own /dev/nvidiaN.
_CONTROL = re.compile(r"^/dev/nvidia(ctl|-uvm|-uvm-tools|-modeset|-caps/.*)$")
_GPU = re.compile(r"^/dev/nvidia(\d+)$")
SMI_TIMEOUT_S = 5.0


def device_nodes(gpus: tuple[str, ...], present: list[str] | None = None) -> list[str]:
    """The /dev nodes to bind for the given GPU indexes: theirs and the control nodes."""
    if not gpus:
        return []
    nodes = (
        present
        if present is not None
        else sorted(glob.glob("/dev/nvidia*") + glob.glob("/dev/nvidia-caps/*"))
    )
    wanted = set(gpus)
    chosen = []
    for node in nodes:
        gpu = _GPU.match(node)
        if (gpu and gpu.group(1) in wanted) or _CONTROL.match(node):
            chosen.append(node)
    return chosen


def parse_smi(text: str) -> dict[str, dict[str, float]]:
    """Rows of `index, utilization.gpu, memory.used, memory.total` (CSV, no units)."""
    usage: dict[str, dict[str, float]] = {}
    for line in text.strip().splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 4:
            continue
        try:
            util, used, total = (float(f) for f in fields[1:])
        except ValueError:
            continue
        usage[fields[0]] = {
            "utilization_percent": util,
            "memory_used_mb": used,
            "memory_total_mb": total,
        }
    return usage


def query_smi(
    fields: str, gpus: tuple[str, ...] = (), timeout: float = SMI_TIMEOUT_S
) -> str | None:
    """nvidia-smi's CSV answer (no header, no units) for `fields` of the given GPUs (all
    when none is named), or None without nvidia-smi or when it fails. Blocking."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    argv = [smi, f"--query-gpu={fields}", "--format=csv,noheader,nounits"]
    if gpus:
        argv += ["-i", ",".join(gpus)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def gpu_usage(gpus: tuple[str, ...]) -> dict[str, dict[str, float]] | None:
    """Usage of the given GPUs on this machine, or None without GPUs or nvidia-smi. Blocking."""
    if not gpus:
        return None
    out = query_smi("index,utilization.gpu,memory.used,memory.total", gpus)
    return parse_smi(out) if out is not None else None
