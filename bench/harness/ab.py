"""Two `kix serve` side by side, the same but for one part made a no-op in one of them (a launcher module
such as unaudited.py or without_outbox.py), for the benchmarks that measure what that part costs a
request: each server with a database of its own, the demo agencies and one alert by de-bka, one worker.
Their phases run one request at a time, in interleaved rounds (which server goes first alternates), so
that this machine's drifts touch both alike; figures are medians over rounds."""

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.client.codec import Codec
from app.db import Database
from app.services.records.creation import create_record
from app.services.records.kinds import ALERTS
from app.services.records.store import Actor
from bench.data.bodies import BodyMaker, validated
from bench.harness.databases import Workspace
from bench.harness.phases import Target, describe, medians, run_phase
from bench.harness.servers import (
    ACTOR,
    HOST,
    KIX_CLI,
    Server,
    free_port,
    kix_env,
    server_vault,
    set_up_kix,
    start_server,
    wait_ready,
)
from bench.harness.wire import PhaseResult, new_runner

OWNER = "de-bka"
WARM_UP = 30  # requests per target (or a phase's, if fewer), untimed: connections, caches, compiled SQL


def alert_body(maker: BodyMaker) -> dict[str, Any]:
    """A realistic alert by OWNER, shared with all members."""
    raw = maker.alert(datetime.now(UTC), "DE") | {"status": "active"}
    return raw | {"rules": maker.rules(OWNER, {"mode": "all_members"})}


def launcher(module: str | None) -> list[str]:
    """`kix serve` as it is (None), or through a bench launcher module that makes one part a no-op."""
    return KIX_CLI if module is None else [sys.executable, "-m", module]


@dataclass(frozen=True)
class AlertServer:
    server: Server
    db: Database  # the server's own
    alert_id: str  # the one alert in it
    codec: Codec  # OWNER's


def alert_server(workspace: Workspace, database: str, name: str, command: list[str]) -> AlertServer:
    """A migrated database with the demo agencies and one alert, and its server (`command` serve ...),
    ready."""
    workdir = workspace.dir / name.replace(" ", "_")
    workdir.mkdir()
    url = workspace.database_url(f"{database}_{name.replace(' ', '_')}") if workspace.postgres_url else None
    env = kix_env(workdir, url)
    callers = set_up_kix(workdir, env)
    db = workspace.open(env["KIX_DATABASE_URL"])
    maker = BodyMaker(random.Random(7))  # noqa: S311 - synthetic data
    with db.transaction() as session:
        data = validated(ALERTS.create, alert_body(maker))
        alert_id = create_record(
            session, ALERTS, Actor(OWNER, ACTOR), data, server_vault(env), now=datetime.now(UTC)
        ).id
    port = free_port()
    serve = [*command, "serve", "--host", HOST, "--port", str(port), "--workers", "1"]
    server = start_server(name, serve, env, port, workdir)
    workspace.servers.append(server)
    wait_ready(server)
    return AlertServer(server, db, alert_id, callers.codec(OWNER))


def create_target(name: str, server: Server, codec: Codec, maker: BodyMaker) -> Target:
    """POST /v1/alerts with a new realistic alert each time."""
    payload: Callable[[], Any] = lambda: alert_body(maker)  # noqa: E731 - one line
    return Target(name, server, codec, "POST", "/v1/alerts", 201, payload=payload, strict=True)


def interleaved(targets: dict[str, list[Target]], rounds: int, requests: int) -> dict[str, dict[str, float]]:
    """Each server's targets ({server name: targets}), `rounds` rounds of `requests` one at a time,
    the servers' order alternating; the medians over rounds of each target (by its name)."""
    outcome: dict[str, list[PhaseResult]] = {
        target.name: [] for group in targets.values() for target in group
    }
    order = list(targets)
    with new_runner() as runner:
        for group in targets.values():
            for target in group:
                run_phase(runner, target, min(WARM_UP, requests), f"warm-up {target.name}", concurrency=1)
        for round_no in range(rounds):
            for name in order if round_no % 2 == 0 else order[::-1]:
                for target in targets[name]:
                    label = f"round {round_no + 1} {target.name}"
                    result, _ = run_phase(runner, target, requests, label, concurrency=1)
                    outcome[target.name].append(result)
                    print(describe(result))
    return {name: medians(results) for name, results in outcome.items()}
