"""The load generator: requests built (signed and encrypted by the SDK's Codec) before a phase, replayed
as pre-serialised HTTP/1.1 bytes over keep-alive connections opened before the clock starts, so that
neither the client's cryptography nor connecting is timed.

Each connection sends one request at a time, taking the next index from an iterator shared by all
connections, until the requests run out or the phase's time is up. Latency is from writing a request to
reading the whole response. A connection the server drops is counted (status 0) and reopened; one it
closes after a response (Connection: close: a server without keep-alive) is reopened before the next
request. Responses are opened (verified and decrypted through Codec.open_response) outside the timed region.
"""

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvloop

from app.client.codec import Codec, KixProblem
from app.crypto.jwe import MEDIA_TYPE as JOSE_MEDIA_TYPE
from bench.harness.servers import HOST, BenchError, Server

VERIFY_SAMPLE = 20  # responses kept (from the start of a phase) to check outside the timed region
PHASE_TIMEOUT_SECONDS = 60.0  # a phase without a time limit
GRACE_SECONDS = 30.0  # how long answers may still come after a timed phase's end


def new_runner() -> asyncio.Runner:
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


# ---------------------------------------------------------------- requests
def signed(codec: Codec, method: str, url: str, params: dict[str, Any] | None, payload: Any) -> httpx.Request:
    """A request signed (and its body, if any, encrypted) by `codec`: what KixClient sends."""
    body, headers = codec.seal_body(payload)
    request = httpx.Request(method, url, params=params, headers=headers, content=body)
    codec.sign(request, body, None)
    return request


def plain(
    method: str,
    url: str,
    params: dict[str, Any] | None,
    payload: Any,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Request:
    """A plain JSON request (and `extra_headers`), for the bare app and the peers."""
    body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
    headers = {"content-type": "application/json"} if payload is not None else {}
    headers |= extra_headers or {}
    return httpx.Request(method, url, params=params, headers=headers, content=body)


def serialise(request: httpx.Request) -> bytes:
    head = [request.method.encode("ascii") + b" " + request.url.raw_path + b" HTTP/1.1"]
    head += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(head) + b"\r\n\r\n" + request.content


# ---------------------------------------------------------------- responses
@dataclass
class RawResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


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


def open_raw(codec: Codec | None, request: httpx.Request, raw: RawResponse, label: str) -> Any:
    """The JSON of a response: verified and decrypted through the SDK's Codec for KIX."""
    if codec is None:
        return json.loads(raw.body)
    response = httpx.Response(raw.status, headers=raw.headers, content=raw.body, request=request)
    if response.headers.get("content-type", "").split(";")[0].strip() != JOSE_MEDIA_TYPE:
        raise BenchError(f"{label}: a response is not encrypted ({response.headers})")
    return codec.open_response(request, response)  # verifies signature + digest, then decrypts


def problem(codec: Codec | None, request: httpx.Request, raw: RawResponse) -> str:
    """What a failed response says (a KIX problem is signed and encrypted: opened with the SDK)."""
    if raw.status == 0:
        return "connection dropped by the server"
    try:
        open_raw(codec, request, raw, "problem")
    except KixProblem as exc:
        return str(exc)
    except Exception as exc:  # a diagnostic, whatever went wrong
        return f"{raw.status} {raw.body[:200]!r} ({exc})"
    return f"{raw.status} {raw.body[:200]!r}"


# ---------------------------------------------------------------- firing
@dataclass
class PhaseResult:
    label: str
    completed: int = 0
    elapsed: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    samples: dict[int, RawResponse] = field(default_factory=dict)  # by request index
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def throughput(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def server_cpu_ms_per_request(self) -> float:
        return self.server_cpu * 1000 / self.completed if self.completed else math.nan


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (PostgreSQL's percentile_disc); NaN without values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


async def close_connection(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout=2)
    except (OSError, TimeoutError):
        pass


async def _drive(
    server: Server,
    connection: _Connection,
    wire: list[bytes],
    indices: Iterator[int],
    latencies: list[float],
    result: PhaseResult,
    keep_all: bool,
) -> None:
    """Send requests one after another on a keep-alive connection until the shared iterator runs dry."""
    clock = time.perf_counter
    for index in indices:
        sent = clock()
        try:
            connection.writer.write(wire[index])
            response = await read_response(connection.reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            latencies[index] = (clock() - sent) * 1000
            result.statuses[0] += 1
            result.samples.setdefault(index, RawResponse(status=0, headers=[], body=b""))
            await close_connection(connection.writer)
            connection.reader, connection.writer = await asyncio.open_connection(
                HOST, server.port, ssl=server.tls
            )
            continue
        latencies[index] = (clock() - sent) * 1000
        result.statuses[response.status] += 1
        if (b"connection", b"close") in response.headers:  # a server without keep-alive: connect anew
            await close_connection(connection.writer)
            connection.reader, connection.writer = await asyncio.open_connection(
                HOST, server.port, ssl=server.tls
            )
        failed = response.status >= 400 and len(result.samples) < 2 * VERIFY_SAMPLE
        if keep_all or index < VERIFY_SAMPLE or failed:
            result.samples[index] = response


async def fire(
    server: Server,
    wire: list[bytes],
    concurrency: int,
    label: str,
    *,
    seconds: float | None = None,
    keep_all: bool = False,
) -> PhaseResult:
    """Replay `wire` over `concurrency` keep-alive connections until it runs out or `seconds` pass.
    Kept responses: the first VERIFY_SAMPLE, some failures, or with `keep_all` every one."""
    result = PhaseResult(label=label)
    connections = [
        _Connection(*await asyncio.open_connection(HOST, server.port, ssl=server.tls))
        for _ in range(concurrency)
    ]
    latencies = [math.nan] * len(wire)
    issued = 0
    clock = time.perf_counter

    def indices(deadline: float) -> Iterator[int]:
        nonlocal issued
        for index in range(len(wire)):
            if clock() >= deadline:
                return
            issued += 1
            yield index

    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    started = clock()
    shared = indices(started + (seconds if seconds is not None else math.inf))
    tasks = [
        asyncio.ensure_future(_drive(server, connection, wire, shared, latencies, result, keep_all))
        for connection in connections
    ]
    timeout = PHASE_TIMEOUT_SECONDS if seconds is None else seconds + GRACE_SECONDS
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=timeout)
    except TimeoutError as exc:
        raise BenchError(f"{label}: requests still unanswered after {timeout:.0f} s; send fewer") from exc
    finally:
        result.elapsed = clock() - started
        result.client_cpu = time.process_time() - client_cpu
        result.server_cpu = server.cpu_seconds() - server_cpu
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connection in connections:
            await close_connection(connection.writer)
    result.latencies_ms = [latency for latency in latencies if not math.isnan(latency)]
    result.completed = len(result.latencies_ms)
    if result.completed != issued:
        raise BenchError(f"{label}: {result.completed} of {issued} requests answered")
    return result
