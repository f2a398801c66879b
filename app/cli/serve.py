"""`kix serve` and `kix demo`: run the service, or fill a development database with demo data."""

import os
import shutil
import ssl
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app.cli.common import UsageProblem
from app.config import Settings
from app.crypto.keystore import jwks_json, load_server_keys
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.services.vault import Vault


def server_settings() -> Settings:
    """Settings for a command that runs on the server: files it creates (database, keys) are 0600."""
    os.umask(0o077)
    return Settings()


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate chain: serve HTTPS")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    client_ca: Annotated[
        Path | None, typer.Option(help="PEM CA bundle: require client certificates (mTLS)")
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="First fill an empty database with demo agencies, keys and records")
    ] = False,
    demo_records: Annotated[int, typer.Option(help="With --demo: records of each kind")] = 1000,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port")] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface for the metrics listener")] = "127.0.0.1",
) -> None:
    """Migrate the database to the latest schema and serve the API with uvicorn."""
    from app.bootstrap import prepare_server

    settings = server_settings()
    if (tls_cert is None) != (tls_key is None):
        raise UsageProblem("--tls-cert and --tls-key go together")
    if client_ca is not None and tls_cert is None:
        raise UsageProblem("--client-ca needs --tls-cert and --tls-key")
    if demo and settings.is_production:
        raise UsageProblem("--demo is for development only")
    metrics_dir = None if metrics_port is None else _serve_metrics(metrics_host, metrics_port, settings)
    try:
        db = prepare_server(settings)
        try:
            if demo:
                _demo_setup(db, settings, demo_records)
        finally:
            db.dispose()
        uvicorn.run(
            "app.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            access_log=False,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            ssl_ca_certs=str(client_ca) if client_ca else None,
            ssl_cert_reqs=ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE,
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve_metrics(host: str, port: int, settings: Settings) -> str | None:
    """Expose the workers' metrics, aggregated, from this (the supervising) process. Returns the
    directory the workers write their metrics to if it was made here (removed when serving ends), None
    if the operator set PROMETHEUS_MULTIPROC_DIR (theirs to manage)."""
    import tempfile

    # Must be set before prometheus_client is first imported, here and in the workers it spawns.
    made = None
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kix-metrics-")
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    from app.metrics import StateCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(StateCollector(Database(settings.database_url)))
    start_http_server(port, addr=host, registry=registry)
    return made


def _demo_setup(db: Database, settings: Settings, records_per_kind: int) -> None:
    from app.bootstrap import setup_demo
    from app.demo import fill
    from app.demo_analysis import fill_analysis
    from app.demo_cooperation import fill_cooperation
    from app.services.events.fanout import fan_out

    server_key, _ = load_server_keys(settings.keys_dir, create=False)
    demo_dir = Path(os.environ.get("KIX_DEMO_DIR", "./kix-demo"))
    issued = setup_demo(db, demo_dir, jwks_json(server_key))
    typer.echo(f"Demo key files in {demo_dir.resolve()}:", err=True)
    for path in sorted(demo_dir.glob("*.json")):
        typer.echo(f"  {path.resolve()}", err=True)
    if not issued:
        typer.echo("  (demo agencies existed already; nothing new issued)", err=True)
    storage_keys, _ = load_storage_keys(settings.keys_dir, create=False)
    vault = Vault(storage_keys)
    summary = fill(db, vault, records_per_kind)
    requests = fill_cooperation(db, vault)
    analysis = fill_analysis(db, vault)
    # Publish what the demo wrote now: events, and the trends rollup; the first feed read or trends
    # query would otherwise wait for thousands of changes.
    fan_out(db, vault, rounds=1_000_000)
    if summary.records:
        typer.echo(
            f"Demo data: {summary.agencies} agencies, {summary.groups} groups, {summary.records} records, "
            f"{requests} cooperation requests, crisis rooms, directory entries and victim services, "
            f"{analysis.outcomes} outcomes, {analysis.cases} joint case, {analysis.practices} practices",
            err=True,
        )
    keys = f"--key {demo_dir}/de-bka.key.json --server-keys {demo_dir}/server.jwks.json"
    typer.echo(f"Try: kix alerts list --table {keys}", err=True)


def demo(
    records_per_kind: Annotated[int, typer.Option(help="Alerts, suspects and leads to make, of each")] = 3000,
) -> None:
    """Fill the database (KIX_DATABASE_URL) with synthetic agencies, groups, keys and linked records."""
    from app.bootstrap import prepare_server

    settings = server_settings()
    if settings.is_production:
        raise UsageProblem("demo data is for development databases only")
    db = prepare_server(settings)
    try:
        _demo_setup(db, settings, records_per_kind)
    finally:
        db.dispose()


def worker(
    once: Annotated[bool, typer.Option(help="Run the jobs that are due once, then exit (for cron)")] = False,
    tick: Annotated[float, typer.Option(min=0.5, help="Seconds between checks for due jobs")] = 5.0,
) -> None:
    """Run the periodic jobs (nonce sweep, idempotency expiry, deadline checks) and webhook deliveries
    apart from the API.

    Set KIX_SCHEDULER=false on the API nodes when a worker runs them; with both on, the job leases still
    let each job run once per period."""
    import signal
    import threading

    from app.bootstrap import prepare_server
    from app.clock import SystemClock
    from app.crypto.storage_keys import storage_key_source
    from app.scheduler import Scheduler, jobs_with_keys
    from app.services.events.delivery import Deliverer
    from app.services.events.outbox import NOTIFY_CHANNEL
    from app.services.events.signal import EventSignal

    settings = server_settings()
    db = prepare_server(settings)
    clock = SystemClock()
    server_key, _ = load_server_keys(settings.keys_dir, create=False)
    scheduler = Scheduler(db, settings, clock, jobs_with_keys(server_key))
    storage_keys, _ = load_storage_keys(settings.keys_dir, create=False)
    deliverer = Deliverer(
        db, settings, server_key, Vault(storage_keys, storage_key_source(settings.keys_dir)), clock
    )
    try:
        if once:
            for job, done in scheduler.run_due().items():
                typer.echo(f"{job}: {done}", err=True)
            delivered = deliverer.run_once()
            if delivered:
                typer.echo(f"webhook deliveries: {delivered}", err=True)
            return
        stop = threading.Event()
        wake = EventSignal()
        wake.listen(settings.database_url, NOTIFY_CHANNEL)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        sender = threading.Thread(
            target=deliverer.run_forever, args=(stop, wake), name="kix-webhooks", daemon=True
        )
        sender.start()
        typer.echo(
            f"running {', '.join(job.name for job in scheduler.jobs)} and webhook deliveries", err=True
        )
        try:
            scheduler.run_forever(stop, tick_seconds=tick)
        except KeyboardInterrupt:
            stop.set()
        sender.join(timeout=10)
        wake.close()
    finally:
        deliverer.close()
        db.dispose()


def register(cli: typer.Typer) -> None:
    cli.command()(serve)
    cli.command()(worker)
    cli.command()(demo)
