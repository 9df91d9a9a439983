"""The CPU budget: how many threads the embedding runtimes may use on this machine.

A container's CPU quota and affinity mask, not the host's core count, decide how many cores
this process really gets; torch is limited to that before it runs the model, and ONNX Runtime
is given as many batches side by side.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

__all__ = ["cpu_budget", "limit_torch_threads"]


def limit_torch_threads() -> None:
    """Use as many torch threads as CPUs this process may really run on, and no more.

    torch counts the host's cores, which on a container with a CPU quota oversubscribes it.
    Explicit OMP_NUM_THREADS / OMP_WAIT_POLICY settings are left to rule.
    """
    if "torch" not in sys.modules:
        # libgomp reads this once, when torch is first imported. Its default of spinning at
        # every barrier makes a query take ~0.95 s instead of ~25 ms on 2 cores as soon as
        # another process keeps one core busy; sleeping instead costs ~10% of idle throughput.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if "OMP_NUM_THREADS" in os.environ:
        return
    import torch

    torch.set_num_threads(cpu_budget())


def cpu_budget() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()
        if quota != "max":
            cpus = min(cpus, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass  # cgroup v1 or no limit: affinity is the best we know
    return max(1, cpus)
