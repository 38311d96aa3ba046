"""Stopping child processes: ask politely (SIGTERM), wait, then kill and reap.

Used wherever the project starts servers of its own (the load and start-up benchmarks, the test
suite's worker, engine and llama.cpp servers), so none of them leaves a process behind when one
ignores or outlives its terminate signal.

Example:
    >>> import subprocess, sys
    >>> proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    >>> stop_processes([proc], timeout=10) != [0]
    True
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["stop_processes"]


def stop_processes(procs: Sequence[subprocess.Popen[Any]], timeout: float = 30.0) -> list[int]:
    """Terminate every process at once, give them ``timeout`` seconds together to exit, kill the
    ones still running, and reap all of them. Returns their exit codes, in order (negative: the
    signal that ended it). A process that has already exited is only reaped."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return [proc.returncode for proc in procs]
