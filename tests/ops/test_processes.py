"""``stop_processes``: real child processes, polite ones and ones that ignore SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from assistant.ops.processes import stop_processes

STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(120)"
)
POLITE = "import time; print('ready', flush=True); time.sleep(120)"


def _start(code: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_a_polite_process_ends_on_sigterm_and_is_reaped() -> None:
    proc = _start(POLITE)
    assert stop_processes([proc], timeout=30) == [-signal.SIGTERM]
    assert proc.poll() == -signal.SIGTERM


def test_a_process_ignoring_sigterm_is_killed_once_the_shared_timeout_is_spent() -> None:
    procs = [_start(STUBBORN), _start(STUBBORN), _start(POLITE)]
    t0 = time.monotonic()
    codes = stop_processes(procs, timeout=2)
    elapsed = time.monotonic() - t0
    assert codes == [-signal.SIGKILL, -signal.SIGKILL, -signal.SIGTERM]
    # One timeout for all of them, not one each (two stubborn ones would take 4 s in turn).
    assert 2 <= elapsed < 3.5, elapsed


def test_a_process_that_already_exited_keeps_its_exit_code() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    assert stop_processes([proc]) == [3]
