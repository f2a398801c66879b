"""Timed phases against KIX or the bare app, and the figures they print.

A phase's requests are built just before it (signed and encrypted with the caller's Codec for KIX, plain
JSON for the bare app), fired (wire.fire), then checked outside the timed region: a sample of responses
with the expected status must open and make sense (the target's check); the others are counted, and
either end the benchmark (a strict target) or are reported with what the first one said. Figures are
medians over rounds of phases, printed with their ratio to the bare app, which ran beside KIX in the same
process tree, on the same machine, with the same worker count, in alternating phases.
"""

import asyncio
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.client.codec import Codec
from bench.harness.servers import BenchError, Server
from bench.harness.wire import PhaseResult, fire, open_raw, plain, problem, serialise, signed

# The server accepts signatures created up to 60 s ago: a phase, from its first request built to its last
# response read, should stay well inside that.
SIGNATURE_BUDGET_SECONDS = 40.0


def no_check(_payload: Any, _data: Any) -> str | None:
    return None


@dataclass(frozen=True)
class Target:
    """What a phase sends, to which server, as whom (no codec: plain JSON, for the bare app), and what a
    right answer is: the expected status, and `check(sent payload, response data)` -> what is wrong."""

    name: str
    server: Server
    codec: Codec | None
    method: str
    path: str
    expected_status: int
    params: dict[str, Any] | None = None
    payload: Callable[[], Any] | None = None  # the next request's body; None: no body
    check: Callable[[Any, Any], str | None] = no_check
    strict: bool = False  # a failed request ends the benchmark, instead of being counted
    path_of: Callable[[], str] | None = None  # the next request's path, when each has its own
    headers: dict[str, str] | None = None  # added to a plain request's (a bearer token...)


@dataclass
class Batch:
    """Pre-serialised requests, and what the checks need: the request objects and the payloads sent."""

    wire: list[bytes]
    requests: list[httpx.Request]
    payloads: list[Any]
    built_started: float


def build_batch(target: Target, count: int) -> Batch:
    started = time.monotonic()
    batch = Batch(wire=[], requests=[], payloads=[], built_started=started)
    for _ in range(count):
        url = target.server.base_url + (target.path_of() if target.path_of else target.path)
        payload = target.payload() if target.payload is not None else None
        if target.codec is None:
            request = plain(target.method, url, target.params, payload, target.headers)
        else:
            request = signed(target.codec, target.method, url, target.params, payload)
        batch.wire.append(serialise(request))
        batch.requests.append(request)
        batch.payloads.append(payload)
    return batch


def errors(target: Target, result: PhaseResult) -> int:
    return result.completed - result.statuses[target.expected_status]


def check_phase(target: Target, result: PhaseResult, batch: Batch) -> None:
    """Sampled responses with the expected status must verify, decrypt and pass the target's check.
    Others are reported with the first one's problem, or end the benchmark if the target is strict."""
    failed = None
    for index, raw in sorted(result.samples.items()):
        if raw.status != target.expected_status:
            failed = failed or (index, raw)
            continue
        data = open_raw(target.codec, batch.requests[index], raw, result.label)
        wrong = target.check(batch.payloads[index], data)
        if wrong:
            raise BenchError(f"{result.label}: response {index}: {wrong}")
    if errors(target, result):
        bad = {status: n for status, n in result.statuses.items() if status != target.expected_status}
        detail = problem(target.codec, batch.requests[failed[0]], failed[1]) if failed else "(not sampled)"
        message = (
            f"{result.label}: {errors(target, result)} failed {bad} (0: connection dropped); e.g. {detail}"
        )
        if target.strict:
            raise BenchError(message)
        print(f"  ! {message}")


def run_phase(
    runner: asyncio.Runner,
    target: Target,
    count: int,
    label: str,
    *,
    concurrency: int,
    seconds: float | None = None,
) -> tuple[PhaseResult, Batch]:
    """Build `count` requests (just before firing: fresh signatures), fire, check."""
    batch = build_batch(target, count)
    result = runner.run(fire(target.server, batch.wire, concurrency, label, seconds=seconds))
    check_phase(target, result, batch)
    age = time.monotonic() - batch.built_started
    if target.codec is not None and age > SIGNATURE_BUDGET_SECONDS:
        print(f"  warning: {label} took {age:.1f} s from first signature; send fewer requests")
    return result, batch


# ---------------------------------------------------------------- figures
def describe(result: PhaseResult) -> str:
    return (
        f"  {result.label:<24} {result.completed:>6} req in {result.elapsed:6.2f} s "
        f"{result.throughput:8.1f} req/s  p50 {result.percentile(0.50):7.2f}  "
        f"p95 {result.percentile(0.95):7.2f}  p99 {result.percentile(0.99):7.2f} ms  "
        f"server CPU {result.server_cpu_ms_per_request:5.2f} ms/req  "
        f"client CPU {100 * result.client_cpu / result.elapsed if result.elapsed else 0:3.0f}%"
    )


def medians(results: list[PhaseResult]) -> dict[str, float]:
    """Medians over rounds of one phase."""
    return {
        "rps": round(statistics.median(r.throughput for r in results), 1),
        "p50_ms": round(statistics.median(r.percentile(0.50) for r in results), 3),
        "p95_ms": round(statistics.median(r.percentile(0.95) for r in results), 3),
        "p99_ms": round(statistics.median(r.percentile(0.99) for r in results), 3),
        "server_cpu_ms_per_req": round(statistics.median(r.server_cpu_ms_per_request for r in results), 3),
    }


def summarised(target: Target, results: list[PhaseResult]) -> dict[str, Any]:
    """A target's medians over its rounds, with how many of its requests failed in all."""
    return medians(results) | {"errors": sum(errors(target, result) for result in results)}


def ratios(figures: dict[str, float], baseline: dict[str, float]) -> dict[str, float]:
    """A phase's medians over the baseline's: throughput, p50, p99, server CPU per request (NaN over 0,
    as a short phase's CPU time can be: it is counted in clock ticks)."""

    def ratio(key: str, digits: int) -> float:
        return round(figures[key] / baseline[key], digits) if baseline[key] else math.nan

    return {
        "throughput": ratio("rps", 3),
        "p50": ratio("p50_ms", 2),
        "p99": ratio("p99_ms", 2),
        "server_cpu": ratio("server_cpu_ms_per_req", 2),
    }


def print_figures(
    figures: dict[str, dict[str, float]],
    baseline: str,
    extra: dict[str, dict[str, Any]] | None = None,
) -> None:
    """One row per phase: its medians, then its ratios to the `baseline` phase's, then `extra` columns
    ({heading: {phase: value}})."""
    extra = extra or {}
    heading = f"  {'':<14} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10}"
    heading += f"  {'vs ' + baseline + ': req/s':>14} {'p50':>6} {'p99':>6} {'CPU':>6}"
    print(heading + "".join(f"  {name:>6}" for name in extra))
    for name, row in figures.items():
        ratio = ratios(row, figures[baseline])
        line = (
            f"  {name:<14} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}"
            f" {row['p99_ms']:>8.2f} {row['server_cpu_ms_per_req']:>10.3f}"
            f"  {ratio['throughput']:>13.3f}x {ratio['p50']:>5.2f}x {ratio['p99']:>5.2f}x"
            f" {ratio['server_cpu']:>5.2f}x"
        )
        print(line + "".join(f"  {values.get(name, ''):>6}" for values in extra.values()))
