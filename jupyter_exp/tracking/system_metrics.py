"""The system metrics of a tracked cell: wall and CPU time, peak resident memory, peak GPU memory."""

from __future__ import annotations

import resource
import sys
import time

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.seeds import cuda_torch


class PeakMemory:
    """Peak resident memory during the cell (Linux: VmHWM reset through /proc/self/clear_refs)."""

    def __init__(self) -> None:
        self._reset = False
        try:
            with open("/proc/self/clear_refs", "w") as handle:
                handle.write("5")
            self._reset = True
        except OSError:
            pass

    def peak_mb(self) -> float:
        if self._reset:
            try:
                with open("/proc/self/status") as handle:
                    for line in handle:
                        if line.startswith("VmHWM:"):
                            return round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        scale = 1 if sys.platform == "darwin" else 1024
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / scale / 2**20, 1)


class SystemMeter:
    """Started right before the cell, read as it ends. CUDA's peak is reset only when torch already
    initialised it (touching CUDA would cost seconds)."""

    def __init__(self) -> None:
        self._wall_start, self._cpu_start = time.perf_counter(), time.process_time()
        self._peak_memory = PeakMemory()
        cuda = cuda_torch()
        if cuda is not None:
            cuda.cuda.reset_peak_memory_stats()

    def read(self) -> dict[str, float]:
        """The ``system/*`` metrics of the cell so far."""
        metrics = {
            schema.WALL_TIME: time.perf_counter() - self._wall_start,
            schema.CPU_TIME: time.process_time() - self._cpu_start,
            schema.PEAK_RSS: self._peak_memory.peak_mb(),
        }
        cuda = cuda_torch()
        if cuda is not None:
            metrics[schema.GPU_PEAK_MEMORY] = cuda.cuda.max_memory_allocated() / 2**20
        return metrics
