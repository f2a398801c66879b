"""Start `kix serve` as a real process on 127.0.0.1 for tests that need uvicorn, workers or TLS."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def kix_server(
    database_url: str,
    keys_dir: Path,
    *args: str,
    scheme: str = "http",
    ready_client: httpx.Client | None = None,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run `kix serve --port P *args`; yield its base URL; stop it (and its workers) afterwards.
    `started` is given the process (to signal it, say); `extra_env` is added to its environment."""
    port = free_port()
    env = (
        os.environ
        | (extra_env or {})
        | {
            "KIX_DATABASE_URL": database_url,
            "KIX_KEYS_DIR": str(keys_dir),
            "KIX_ENV": "development",
            "KIX_LOG_LEVEL": "WARNING",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if started is not None:
        started(process)
    base_url = f"{scheme}://127.0.0.1:{port}"
    client = ready_client or httpx.Client(verify=False)  # noqa: S501 - readiness probe only
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"kix serve exited: {process.stderr.read().decode() if process.stderr else ''}"
                )
            try:
                if client.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("kix serve did not become ready within 30 s")
            time.sleep(0.2)
        yield base_url
    finally:
        if ready_client is None:
            client.close()
        if process.poll() is None:
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        if process.stderr:
            process.stderr.close()
