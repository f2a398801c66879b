"""The servers a benchmark talks to, as subprocesses on 127.0.0.1, and what they need first.

`kix serve` runs through `python -m app.cli serve`, the bare app (bare_app.py) through uvicorn, each in a
process group of its own (uvicorn's supervisor and its workers), so that the group's CPU time can be read
from /proc and the whole group stopped. A temp dir holds the server key, the storage keys and the demo
agencies' keys (app.bootstrap.setup_demo: de-bka and it-dcsa, with every scope but admin); the server's
periodic jobs are off (KIX_SCHEDULER=false) so that they do not run inside a timed phase.
"""

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.bootstrap import setup_demo
from app.client.codec import Codec
from app.crypto.keys import load_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.migrate import upgrade
from app.services.vault import Vault

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ACTOR = "bench"  # kix-actor of every request the benchmarks send
READY_TIMEOUT_SECONDS = 60.0
KIX_CLI = [sys.executable, "-m", "app.cli"]
BARE_APP = "bench.harness.bare_app:app"


class BenchError(RuntimeError):
    """The benchmark could not produce valid figures (a server failed, a response was wrong...)."""


RSS_GOAL_MB = 200  # issue 13: peak resident memory of one worker under round-trip and list loads


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    tls: ssl.SSLContext | None = None  # a server behind TLS: the context its clients connect with

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30, width: int = 600) -> str:
        """The log's last lines, each cut to its last `width` characters (a JSON traceback is one line:
        its end says what went wrong)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(line[-width:] for line in text.splitlines()[-lines:])

    def _group(self) -> list[tuple[Path, list[str]]]:
        """Every live process of the server's process group (supervisor and workers): its /proc entry and
        its stat fields after "pid (comm) " (state ppid pgrp session ... utime(11) stime(12))."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) == self.process.pid:
                found.append((entry, fields))
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in the server's process group (all workers)."""
        ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in self._group())
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) of any one process of the server: a worker's, under the
        load it has served so far (the supervisor of several workers holds little)."""
        peaks = [0.0]
        for entry, _ in self._group():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    log_dir: Path,
    tls: ssl.SSLContext | None = None,
) -> Server:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, port=port, process=process, log_path=log_path, tls=tls)


def wait_ready(server: Server, path: str = "/healthz", headers: dict[str, str] | None = None) -> None:
    """Until `path` answers 200 (the server's exit or READY_TIMEOUT_SECONDS end the wait)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with status {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            verify = server.tls or True
            answer = httpx.get(f"{server.base_url}{path}", headers=headers, timeout=1.0, verify=verify)
            if answer.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """Terminate the server's whole process group (uvicorn's supervisor and workers), then kill it."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    server.process.wait()


# ---------------------------------------------------------------- set-up
def kix_env(workdir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of `kix` commands: this one's, without its KIX_ settings, and the benchmark's."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KIX_")}
    env |= {
        "KIX_ENV": "development",
        "KIX_DATABASE_URL": database_url or f"sqlite:///{workdir / 'kix.db'}",
        "KIX_KEYS_DIR": str(workdir / "server-keys"),
        "KIX_LOG_LEVEL": "WARNING",
        "KIX_SCHEDULER": "false",
    }
    # Rate limits stay on (their cost is part of every request) but far above what a benchmark sends.
    for kind in ("READS", "WRITES", "MATCHES", "ADMIN"):
        env[f"KIX_RATE_LIMIT_{kind}_PER_MINUTE"] = "100000000"
    return env


def migrate(env: dict[str, str]) -> None:
    """Bring the environment's database to the latest schema, as `kix admin migrate` does."""
    db = Database(env["KIX_DATABASE_URL"])
    try:
        upgrade(db.engine)
    finally:
        db.dispose()


@dataclass(frozen=True)
class Callers:
    """The demo agencies' keys (de-bka, it-dcsa) and the server's public keys, written by setup_demo."""

    demo_dir: Path

    def codec(self, agency: str, actor: str = ACTOR) -> Codec:
        """What the SDK signs, encrypts and verifies with, as `agency`."""
        server_jwks = json.loads((self.demo_dir / "server.jwks.json").read_text(encoding="utf-8"))
        return Codec(load_key_file(self.demo_dir / f"{agency}.key.json"), server_jwks, actor=actor)


def set_up_kix(workdir: Path, env: dict[str, str]) -> Callers:
    """Migrate the environment's (fresh) database, create the server key and the demo agencies."""
    migrate(env)
    server_key, _ = load_server_keys(Path(env["KIX_KEYS_DIR"]), create=True)
    demo_dir = workdir / "demo"
    db = Database(env["KIX_DATABASE_URL"])
    try:
        setup_demo(db, demo_dir, jwks_json(server_key))
    finally:
        db.dispose()
    return Callers(demo_dir)


def server_vault(env: dict[str, str]) -> Vault:
    """A Vault with the storage keys `kix serve` uses in this environment (created if missing)."""
    return Vault(load_storage_keys(Path(env["KIX_KEYS_DIR"]), create=True)[0])


def start_kix(env: dict[str, str], workers: int, workdir: Path, servers: list[Server]) -> Server:
    """`kix serve` with `workers` workers, ready; appended to `servers` as soon as it starts."""
    port = free_port()
    command = [*KIX_CLI, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
    servers.append(start_server("kix", command, env, port, workdir))
    wait_ready(servers[-1])
    return servers[-1]


def start_kix_and_bare(
    env: dict[str, str], workers: int, workdir: Path, servers: list[Server]
) -> tuple[Server, Server]:
    """`kix serve` and the bare app with the same worker count, started together, both ready; appended
    to `servers` as they start, so the caller stops whatever did start if the other fails."""
    kix_port, bare_port = free_port(), free_port()
    kix_command = [*KIX_CLI, "serve", "--host", HOST, "--port", str(kix_port), "--workers", str(workers)]
    bare_command = [sys.executable, "-m", "uvicorn", BARE_APP, "--host", HOST, "--port", str(bare_port)]
    bare_command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    kix = start_server("kix", kix_command, env, kix_port, workdir)
    servers.append(kix)
    bare = start_server("bare", bare_command, env, bare_port, workdir)
    servers.append(bare)
    for server in (kix, bare):
        wait_ready(server)
    return kix, bare
