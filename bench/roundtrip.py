"""Round-trip benchmark: KIX's signed, encrypted `POST /v1/echo` against a bare FastAPI echo app.

Run from the repository root (defaults: 1 worker, 8 connections, 3000 requests a phase, 3 rounds):

    /tmp/kv/bin/python -m bench.roundtrip [--workers 1] [--concurrency 8] [--requests 3000] [--rounds 3]

Everything runs on 127.0.0.1. A temp dir holds a fresh SQLite database (migrated by `kix admin migrate`),
the server key and the demo agencies' keys. Both servers run as subprocesses with the same worker count:
KIX through `kix serve`, the baseline through uvicorn (bench/bare_app.py). All requests of a phase are
built before it starts (KIX ones signed and encrypted by the SDK's Codec, each with its own nonce) and
replayed as pre-serialised HTTP/1.1 bytes over keep-alive connections, so the client's crypto is not
timed. Latency is from writing a request to reading the whole response. Responses are checked outside
the timed region: every status must be 2xx, and a sample of KIX responses must verify and decrypt
(Codec.open_response) to the payload that was sent. Phases alternate bare, kix, bare, kix...; the
medians across rounds are reported. Figures are printed, never asserted.
"""

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop

from app.bootstrap import setup_demo
from app.client.codec import Codec
from app.crypto.jwe import MEDIA_TYPE as JOSE_MEDIA_TYPE
from app.crypto.keys import load_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from app.db import Database

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
AGENCY = "de-bka"
ACTOR = "bench"
PHASE_TIMEOUT_SECONDS = 60.0
# The server accepts signatures created up to 60 s ago: a KIX phase (from the first request built to the
# last response read) should stay well inside that.
SIGNATURE_BUDGET_SECONDS = 40.0
READY_TIMEOUT_SECONDS = 60.0
VERIFY_SAMPLE = 20
# `kix serve` / `kix admin migrate` through the console script's entry point (app.cli has no __main__).
KIX_CLI = [sys.executable, "-c", "from app.cli import main; main()"]


class BenchError(RuntimeError):
    """The benchmark could not produce valid figures (a server failed, a response was wrong...)."""


# ---------------------------------------------------------------- servers
@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU time of every live process in the server's process group (all workers)."""
        ticks = 0
        pgid = self.process.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            # After "pid (comm) ": state ppid pgrp session ... utime(11) stime(12)
            if int(fields[2]) == pgid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(name: str, command: list[str], env: dict[str, str], port: int, log_dir: Path) -> Server:
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
    return Server(name=name, port=port, process=process, log_path=log_path)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with status {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1.0).status_code == 200:
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
def kix_env(workdir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KIX_")}
    env |= {
        "KIX_ENV": "development",
        "KIX_DATABASE_URL": f"sqlite:///{workdir / 'kix.db'}",
        "KIX_KEYS_DIR": str(workdir / "server-keys"),
        "KIX_LOG_LEVEL": "WARNING",
    }
    return env


def set_up_kix(workdir: Path, env: dict[str, str]) -> Codec:
    """Migrate a fresh database, create the server key and the demo agencies; a Codec for de-bka."""
    migrated = subprocess.run([*KIX_CLI, "admin", "migrate"], env=env, capture_output=True, check=False)
    if migrated.returncode != 0:
        raise BenchError(f"kix admin migrate failed:\n{migrated.stderr.decode(errors='replace')}")
    server_key, _ = load_server_keys(Path(env["KIX_KEYS_DIR"]), create=True)
    demo_dir = workdir / "demo"
    db = Database(env["KIX_DATABASE_URL"])
    try:
        setup_demo(db, demo_dir, jwks_json(server_key))
    finally:
        db.dispose()
    server_jwks = json.loads((demo_dir / "server.jwks.json").read_text(encoding="utf-8"))
    return Codec(load_key_file(demo_dir / f"{AGENCY}.key.json"), server_jwks, actor=ACTOR)


# ---------------------------------------------------------------- requests
def make_payload(seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "reference": f"KIX-BENCH-{seq:08d}",
        "kind": "round-trip",
        "note": "a small JSON object, echoed back by the server",
        "tags": ["bench", "echo", "roundtrip"],
    }


@dataclass
class Batch:
    """Pre-serialised requests, and what the verification needs for the first VERIFY_SAMPLE of them."""

    wire: list[bytes]
    payloads: list[dict[str, Any]]
    requests: list[httpx.Request]
    built_started: float
    build_seconds: float


def serialise(request: httpx.Request, body: bytes) -> bytes:
    head = [request.method.encode("ascii") + b" " + request.url.raw_path + b" HTTP/1.1"]
    head += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def build_batch(base_url: str, count: int, first_seq: int, codec: Codec | None) -> Batch:
    """`count` requests to POST /v1/echo: signed and encrypted with `codec`, or plain JSON without it."""
    started = time.monotonic()
    url = f"{base_url}/v1/echo"
    batch = Batch(wire=[], payloads=[], requests=[], built_started=started, build_seconds=0.0)
    for index in range(count):
        payload = make_payload(first_seq + index)
        if codec is None:
            body = json.dumps(payload, separators=(",", ":")).encode()
            request = httpx.Request("POST", url, headers={"content-type": "application/json"}, content=body)
        else:
            body, headers = codec.seal_body(payload)
            request = httpx.Request("POST", url, headers=headers, content=body)
            codec.sign(request, body, None)
        batch.wire.append(serialise(request, body))
        if index < VERIFY_SAMPLE:
            batch.payloads.append(payload)
            batch.requests.append(request)
    batch.build_seconds = time.monotonic() - started
    return batch


# ---------------------------------------------------------------- load generator
@dataclass
class RawResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class PhaseResult:
    label: str
    completed: int = 0
    elapsed: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    samples: dict[int, RawResponse] = field(default_factory=dict)
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def throughput(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")

    @property
    def server_cpu_ms_per_request(self) -> float:
        return self.server_cpu * 1000 / self.completed if self.completed else float("nan")


async def read_response(reader: asyncio.StreamReader) -> RawResponse:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise BenchError(f"not an HTTP/1.x status line: {lines[0]!r}")
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            raise BenchError("chunked responses are not supported by this load generator")
    if length is None:
        raise BenchError("a response without Content-Length")
    return RawResponse(status=int(parts[1]), headers=headers, body=await reader.readexactly(length))


async def drive_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    wire: list[bytes],
    indices: Iterator[int],
    latencies: list[float],
    result: PhaseResult,
) -> None:
    """Send requests one after another on a keep-alive connection until the shared iterator runs dry."""
    clock = time.perf_counter
    for index in indices:
        sent = clock()
        writer.write(wire[index])
        response = await read_response(reader)
        latencies[index] = (clock() - sent) * 1000
        result.statuses[response.status] += 1
        if index < VERIFY_SAMPLE:
            result.samples[index] = response


async def close_connection(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout=2)
    except (OSError, TimeoutError):
        pass


async def fire(server: Server, batch: Batch, concurrency: int, label: str) -> PhaseResult:
    """Replay the batch over `concurrency` keep-alive connections (opened before the clock starts)."""
    result = PhaseResult(label=label)
    connections = [await asyncio.open_connection(HOST, server.port) for _ in range(concurrency)]
    latencies = [math.nan] * len(batch.wire)
    indices = iter(range(len(batch.wire)))
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    started = time.perf_counter()
    tasks = [
        asyncio.ensure_future(drive_connection(reader, writer, batch.wire, indices, latencies, result))
        for reader, writer in connections
    ]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=PHASE_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise BenchError(
            f"{label}: phase aborted after {PHASE_TIMEOUT_SECONDS:.0f} s; use fewer --requests"
        ) from exc
    finally:
        result.elapsed = time.perf_counter() - started
        result.client_cpu = time.process_time() - client_cpu
        result.server_cpu = server.cpu_seconds() - server_cpu
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, writer in connections:
            await close_connection(writer)
    result.latencies_ms = [latency for latency in latencies if not math.isnan(latency)]
    result.completed = len(result.latencies_ms)
    return result


# ---------------------------------------------------------------- checks (outside the timed region)
def check_result(result: PhaseResult, batch: Batch, codec: Codec | None) -> None:
    """Fail loudly on any non-2xx status or a sampled response that does not verify to what was sent."""
    bad = {status: count for status, count in result.statuses.items() if not 200 <= status < 300}
    if bad or result.completed != len(batch.wire):
        # A refusal in the sample says why.
        sample = next((raw for raw in result.samples.values() if not 200 <= raw.status < 300), None)
        detail = f"; e.g. {sample.status} {sample.body[:300]!r}" if sample else ""
        raise BenchError(
            f"{result.label}: {result.completed}/{len(batch.wire)} answered, non-2xx statuses {bad}{detail}"
        )
    for index, raw in sorted(result.samples.items()):
        expected = {"agency_id": AGENCY if codec else "x", "payload": batch.payloads[index]}
        if codec is None:
            data = json.loads(raw.body)
        else:
            request = batch.requests[index]
            response = httpx.Response(raw.status, headers=raw.headers, content=raw.body, request=request)
            if response.headers.get("content-type", "").split(";")[0].strip() != JOSE_MEDIA_TYPE:
                raise BenchError(f"{result.label}: response {index} is not encrypted ({response.headers})")
            data = codec.open_response(request, response)  # verifies signature + digest, then decrypts
        if data != expected:
            raise BenchError(f"{result.label}: response {index} is {data!r}, expected {expected!r}")


# ---------------------------------------------------------------- the run
@dataclass
class Run:
    args: argparse.Namespace
    bare: Server
    kix: Server
    codec: Codec
    runner: asyncio.Runner
    seq: int = 0

    def phase(self, server: Server, count: int, label: str) -> PhaseResult:
        codec = self.codec if server is self.kix else None
        batch = build_batch(server.base_url, count, self.seq, codec)  # just before firing: fresh signatures
        self.seq += count
        result = self.runner.run(fire(server, batch, self.args.concurrency, label))
        check_result(result, batch, codec)
        if codec is not None:
            age = time.monotonic() - batch.built_started
            if age > SIGNATURE_BUDGET_SECONDS:
                print(f"  warning: {label} took {age:.1f} s from first signature; use fewer --requests")
        return result


def describe(result: PhaseResult) -> str:
    return (
        f"  {result.label:<14} {result.completed:>6} req in {result.elapsed:6.2f} s  "
        f"{result.throughput:8.1f} req/s  p50 {result.percentile(0.50):7.2f} ms  "
        f"p99 {result.percentile(0.99):7.2f} ms  server CPU {result.server_cpu_ms_per_request:5.2f} ms/req  "
        f"client CPU {100 * result.client_cpu / result.elapsed:3.0f}%"
    )


def medians(results: list[PhaseResult]) -> dict[str, float]:
    return {
        "rps": round(statistics.median(r.throughput for r in results), 1),
        "p50_ms": round(statistics.median(r.percentile(0.50) for r in results), 3),
        "p99_ms": round(statistics.median(r.percentile(0.99) for r in results), 3),
        "server_cpu_ms_per_req": round(statistics.median(r.server_cpu_ms_per_request for r in results), 3),
    }


def benchmark(run: Run) -> dict[str, Any]:
    args = run.args
    for server in (run.bare, run.kix):
        result = run.phase(server, args.warmup, f"warm-up {server.name}")
        print(describe(result))
    outcome: dict[str, list[PhaseResult]] = {"bare": [], "kix": []}
    for round_no in range(1, args.rounds + 1):
        for server in (run.bare, run.kix):
            result = run.phase(server, args.requests, f"round {round_no} {server.name}")
            outcome[server.name].append(result)
            print(describe(result))
    bare, kix = medians(outcome["bare"]), medians(outcome["kix"])
    ratio = {
        "throughput": round(kix["rps"] / bare["rps"], 3),
        "p50": round(kix["p50_ms"] / bare["p50_ms"], 2),
        "p99": round(kix["p99_ms"] / bare["p99_ms"], 2),
    }
    print()
    print(
        f"medians over {args.rounds} rounds ({args.requests} requests, {args.concurrency} connections, "
        f"{args.workers} worker(s)); latency = request written to response read"
    )
    print(f"  {'':<10} {'req/s':>10} {'p50 ms':>10} {'p99 ms':>10} {'srv CPU ms/req':>15}")
    for name, figures in (("bare", bare), ("kix", kix)):
        print(
            f"  {name:<10} {figures['rps']:>10.1f} {figures['p50_ms']:>10.2f} {figures['p99_ms']:>10.2f} "
            f"{figures['server_cpu_ms_per_req']:>15.3f}"
        )
    print(
        f"  {'kix/bare':<10} {ratio['throughput']:>9.3f}x {ratio['p50']:>9.2f}x {ratio['p99']:>9.2f}x "
        f"{kix['server_cpu_ms_per_req'] / bare['server_cpu_ms_per_req']:>14.2f}x"
    )
    return {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "rounds": args.rounds,
        "bare": bare,
        "kix": kix,
        "kix_over_bare": ratio,
    }


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=positive_int, default=1, help="worker processes per server")
    parser.add_argument("--concurrency", type=positive_int, default=8, help="keep-alive connections")
    parser.add_argument("--requests", type=positive_int, default=3000, help="requests per timed phase")
    parser.add_argument("--rounds", type=positive_int, default=3, help="bare/kix rounds (medians reported)")
    parser.add_argument("--warmup", type=positive_int, default=200, help="untimed requests per server first")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (database, logs)")
    return parser.parse_args(argv)


def start_kix_and_bare(
    env: dict[str, str], workers: int, workdir: Path, servers: list[Server]
) -> tuple[Server, Server]:
    """`kix serve` and the bare app with the same worker count, both ready; appended to `servers` as they
    start, so the caller stops whatever did start if the other fails."""
    kix_port, bare_port = free_port(), free_port()
    kix_command = [*KIX_CLI, "serve", "--host", HOST, "--port", str(kix_port), "--workers", str(workers)]
    bare_command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", HOST]
    bare_command += ["--port", str(bare_port), "--workers", str(workers)]
    bare_command += ["--log-level", "warning", "--no-access-log"]
    servers.append(start_server("kix", kix_command, env, kix_port, workdir))
    servers.append(start_server("bare", bare_command, env, bare_port, workdir))
    for server in servers:
        wait_ready(server)
    return servers[0], servers[1]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kix-bench-"))
    servers: list[Server] = []
    failed = True
    try:
        env = kix_env(workdir)
        codec = set_up_kix(workdir, env)
        kix, bare = start_kix_and_bare(env, args.workers, workdir, servers)
        print(f"KIX on :{kix.port}, bare on :{bare.port}; {args.workers} worker(s) each; temp dir {workdir}")
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            summary = benchmark(Run(args=args, bare=bare, kix=kix, codec=codec, runner=runner))
        print(json.dumps(summary, separators=(",", ":")))
        failed = False
        return 0
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        for server in servers:
            tail = server.log_tail()
            if tail:
                print(f"--- {server.name} log (last lines) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            stop_server(server)
        if args.keep_temp or failed:
            print(f"temp dir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
