"""Part 2 of the peers benchmark: the OASIS TAXII 2.1 reference server (medallion) as a reference point.

medallion 3.0.0 runs in a virtual environment of its own (its Flask stack is not KIX's), made on first use
under ~/.cache/kix-bench (or --medallion-python names a Python that has medallion and gunicorn), behind
one gunicorn sync worker, with its memory backend loaded from a file holding the same alerts KIX and the
peer hold, as STIX 2.1 custom objects (`x-kix-alert`, the alert's fields as properties) with their
manifest entries, in one collection. Basic authentication, as medallion offers.

It is asked the same three operations, one connection at a time (a sync worker serves one request at a
time; more connections would only queue): add one object (202) and get one (its objects/{id}/ endpoint),
each for --medallion-seconds, then one first page of 50. The memory backend builds a page by matching
every manifest entry against every object, so a first page grows with the square of the collection (about
20 s at 2,000 objects here): it is asked once, last, and given --medallion-page-seconds (and the load
generator's grace) to answer; without an answer in time, the lower bound is reported. Its figures are
printed beside KIX's from part 1, with the ratio KIX / medallion; there is no goal.
"""

import argparse
import asyncio
import base64
import itertools
import json
import random
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness.databases import Workspace
from bench.harness.phases import Target, describe, medians, run_phase
from bench.harness.servers import HOST, BenchError, Server, free_port, start_server, wait_ready
from bench.harness.wire import GRACE_SECONDS

VERSION = "3.0.0"
TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
API_ROOT = "api1"
OBJECT_TYPE = "x-kix-alert"
PAGE_SIZE = 50


def medallion_python(args: argparse.Namespace) -> Path:
    """A Python with medallion and gunicorn: --medallion-python, or a cached virtual environment."""
    if args.medallion_python:
        return Path(args.medallion_python)
    venv = Path.home() / ".cache" / "kix-bench" / f"medallion-{VERSION}"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  installing medallion {VERSION} and gunicorn into {venv} (once)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        install = [str(python), "-m", "pip", "install", "--quiet", f"medallion=={VERSION}", "gunicorn"]
        subprocess.run(install, check=True)
    return python


def stix_time(moment: datetime) -> str:
    """A STIX timestamp: UTC, milliseconds, Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def stix_object(alert_id: str, body: dict[str, Any], created: datetime) -> dict[str, Any]:
    stamp = stix_time(created)
    head = {"type": OBJECT_TYPE, "spec_version": "2.1", "id": f"{OBJECT_TYPE}--{alert_id}"}
    return head | {"created": stamp, "modified": stamp} | body


def write_config(directory: Path, objects: list[dict[str, Any]], password: str) -> tuple[Path, str]:
    """medallion's configuration and its memory backend's data file; the collection's id."""
    collection_id = str(uuid.uuid4())
    manifest = [
        {"id": obj["id"], "date_added": obj["created"], "version": obj["modified"], "media_type": STIX}
        for obj in objects
    ]
    collection = {
        "id": collection_id,
        "title": "Kidnapping alerts",
        "can_read": True,
        "can_write": True,
        "media_types": [STIX],
        "objects": objects,
        "manifest": manifest,
    }
    data = {
        "/discovery": {"title": "KIX benchmark", "api_roots": [f"/{API_ROOT}/"], "default": f"/{API_ROOT}/"},
        API_ROOT: {
            "information": {"title": "alerts", "versions": [TAXII], "max_content_length": 10_485_760},
            "status": [],
            "collections": [collection],
        },
    }
    data_path = directory / "medallion-data.json"
    data_path.write_text(json.dumps(data), encoding="utf-8")
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(data_path),
        },
        "users": {"bench": password},
        "taxii": {"max_page_size": 100},
    }
    config_path = directory / "medallion-config.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    return config_path, collection_id


def start_medallion(workspace: Workspace, python: Path, config_path: Path, headers: dict[str, str]) -> Server:
    port = free_port()
    command = [str(python), "-m", "gunicorn", "--workers", "1", "--worker-class", "sync", "--timeout", "600"]
    command += ["--bind", f"{HOST}:{port}", "--log-level", "warning", f'medallion:load_app("{config_path}")']
    server = start_server("medallion", command, {}, port, workspace.dir)
    workspace.servers.append(server)
    wait_ready(server, path="/taxii2/", headers=headers)
    return server


def first_page(args: argparse.Namespace, runner: asyncio.Runner, target: Target) -> dict[str, Any]:
    """One first page, last (medallion works on it after the client gives up): its answer's figures, or
    {"rps": None, "over_seconds": N} when none came within --medallion-page-seconds (and the grace)."""
    budget = args.medallion_page_seconds
    try:
        result, _ = run_phase(runner, target, 1, target.name, concurrency=1, seconds=budget)
    except BenchError as exc:
        print(f"  {exc}")
        return {"rps": None, "over_seconds": budget + GRACE_SECONDS}
    print(describe(result))
    return medians([result])


def check_envelope(expected: Callable[[list[Any]], str | None]) -> Callable[[Any, Any], str | None]:
    def check(_payload: Any, data: Any) -> str | None:
        objects = data.get("objects") if isinstance(data, dict) else None
        return expected(objects) if isinstance(objects, list) else f"no objects in {str(data)[:200]}"

    return check


def compare(
    args: argparse.Namespace,
    runner: asyncio.Runner,
    workspace: Workspace,
    alerts: list[tuple[str, dict[str, Any], datetime]],
    kix_figures: dict[str, dict[str, Any]],
    new_body: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    python = medallion_python(args)
    password = secrets.token_urlsafe(16)
    objects = [stix_object(alert_id, body, created) for alert_id, body, created in alerts]
    config_path, collection = write_config(workspace.dir, objects, password)
    basic = base64.b64encode(f"bench:{password}".encode()).decode()
    headers = {"authorization": f"Basic {basic}", "accept": TAXII}
    server = start_medallion(workspace, python, config_path, headers)
    print(f"  medallion {VERSION} on :{server.port}, one gunicorn sync worker, {len(objects)} objects")
    base = f"/{API_ROOT}/collections/{collection}/objects/"
    ids = itertools.cycle(random.Random(7).sample([obj["id"] for obj in objects], len(objects)))

    def new_object() -> dict[str, Any]:
        return {"objects": [stix_object(str(uuid.uuid4()), new_body(), datetime.now(UTC))]}

    def one_of(known: set[str]) -> Callable[[list[Any]], str | None]:
        return lambda found: None if len(found) == 1 and found[0]["id"] in known else f"got {found[:1]}"

    known = {obj["id"] for obj in objects}
    plan = {
        "create": Target(
            "medallion create",
            server,
            None,
            "POST",
            base,
            202,
            payload=new_object,
            headers=headers | {"content-type": TAXII},
        ),
        "get": Target(
            "medallion get",
            server,
            None,
            "GET",
            base,
            200,
            path_of=lambda: f"{base}{next(ids)}/",
            headers=headers,
            check=check_envelope(one_of(known)),
        ),
        "page": Target(
            "medallion page",
            server,
            None,
            "GET",
            base,
            200,
            params={"limit": PAGE_SIZE},
            headers=headers,
            check=check_envelope(lambda found: None if len(found) == PAGE_SIZE else f"{len(found)}"),
        ),
    }
    figures: dict[str, dict[str, Any]] = {}
    for operation in ("create", "get"):
        target = plan[operation]
        run_phase(runner, target, 1, f"warm-up {target.name}", concurrency=1, seconds=args.medallion_seconds)
        result, _ = run_phase(
            runner, target, args.requests, target.name, concurrency=1, seconds=args.medallion_seconds
        )
        print(describe(result))
        figures[operation] = medians([result])
    figures["page"] = first_page(args, runner, plan["page"])
    print("KIX (part 1) against medallion (a reference point, no goal):")
    ratios: dict[str, Any] = {}
    for operation, row in figures.items():
        kix_rps = kix_figures[f"kix {operation}"]["rps"]
        if row["rps"] is None:
            at_least = kix_rps * row["over_seconds"]
            ratios[operation] = {"medallion_rps": None, "kix_rps": kix_rps, "ratio_at_least": round(at_least)}
            print(
                f"  {operation:<7} medallion no answer in {row['over_seconds']:.0f} s"
                f"  KIX {kix_rps:8.1f} req/s = more than {at_least:.0f}x"
            )
            continue
        ratio = kix_rps / row["rps"] if row["rps"] else float("inf")
        ratios[operation] = {"medallion_rps": row["rps"], "kix_rps": kix_rps, "ratio": round(ratio, 2)}
        print(
            f"  {operation:<7} medallion {row['rps']:8.2f} req/s (p50 {row['p50_ms']:8.1f} ms)"
            f"  KIX {kix_rps:8.1f} req/s = {ratio:.1f}x"
        )
    return {"figures": figures, "against_medallion": ratios}
