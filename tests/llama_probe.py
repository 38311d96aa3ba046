"""Start llama.cpp's OpenAI-compatible server and prove it completes one chat request.

A llama-cpp-python wheel built for another CPU (native tuning: AVX-512, AMX) loads fine and then
dies with SIGILL on the first real generation. Loading it inside the pytest process would take the
whole test run down with it, so every llama.cpp test first goes through this probe, which runs the
library in a child process. A broken build then fails those tests, one by one, with one clear
message, and the rest of the suite runs and reports as usual.
"""

from __future__ import annotations

import importlib.util
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from assistant.ops.processes import stop_processes

REBUILD_HINT = "Rebuild it portably with `make llama-rebuild` (see README, 'The llama.cpp build')."


class LlamaUnavailable(RuntimeError):
    """llama.cpp cannot serve on this machine; the message says why and what to do."""


@dataclass
class LlamaServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        stop_processes([self.process], timeout=20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _describe_exit(returncode: int, log: str) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGILL:
            return (
                f"llama.cpp died with {name} (illegal instruction): the installed llama-cpp-python was "
                f"compiled for instructions this CPU does not have. {REBUILD_HINT}"
            )
        return f"llama.cpp died with {name}. {REBUILD_HINT}\n--- server log (tail) ---\n{log}"
    if "Illegal instruction" in log:
        return f"llama.cpp hit an illegal instruction. {REBUILD_HINT}"
    return f"llama.cpp's server exited with status {returncode}. {REBUILD_HINT}\n--- server log (tail) ---\n{log}"


def llama_server_installed() -> bool:
    """Whether llama-cpp-python and its server extra are installed, WITHOUT importing them.

    ``importlib.util.find_spec("llama_cpp.server")`` would import the ``llama_cpp`` package, which
    loads the native library into this process: the very thing the probe keeps in a child.
    """
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return False
    package = Path(next(iter(spec.submodule_search_locations)))
    return (package / "server").is_dir() and importlib.util.find_spec("sse_starlette") is not None


def start_and_probe(model_path: Path, log_path: Path, *, startup_s: float = 420, n_ctx: int = 4096) -> LlamaServer:
    """Start ``python -m llama_cpp.server`` on loopback and complete one chat request through it.

    Raises ``LlamaUnavailable`` with a one-paragraph reason when the package is missing, the server
    exits (a crash names its signal) or it does not answer in time.
    """
    if not llama_server_installed():
        raise LlamaUnavailable(
            "llama_cpp.server is not installed: install llama-cpp-python[server] (`make test` does)."
        )
    port = _free_port()
    log_file = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1",
         "--port", str(port), "--model_alias", "smollm2", "--n_ctx", str(n_ctx), "--n_threads", "2"],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    log_file.close()
    server = LlamaServer(f"http://127.0.0.1:{port}/v1", proc, log_path)

    def tail() -> str:
        return log_path.read_text(errors="replace")[-1500:]

    def fail(message: str) -> LlamaUnavailable:
        server.stop()
        return LlamaUnavailable(message)

    deadline = time.monotonic() + startup_s
    while True:
        if proc.poll() is not None:
            raise fail(_describe_exit(proc.returncode, tail()))
        try:
            if httpx.get(f"{server.base_url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise fail(f"llama.cpp's server did not start within {startup_s:.0f} s.\n{tail()}")
        time.sleep(0.5)
    try:
        reply = httpx.post(
            f"{server.base_url}/chat/completions",
            json={"model": "smollm2", "max_tokens": 8, "messages": [{"role": "user", "content": "Say hello."}]},
            timeout=startup_s,
        )
    except httpx.HTTPError as exc:
        time.sleep(0.5)  # let a crashing server finish dying, so its signal can be named
        if proc.poll() is not None:
            raise fail(_describe_exit(proc.returncode, tail())) from exc
        raise fail(f"llama.cpp's server did not complete a chat request: {exc}") from exc
    if reply.status_code != 200 or not reply.json().get("choices"):
        raise fail(f"llama.cpp's server answered a chat request with {reply.status_code}: {reply.text[:300]}")
    return server
