"""`kix`: serve, administer, manage keys, export the OpenAPI spec, and call the API through the SDK."""

import json
import os
import ssl
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app import cli_records as records_cli
from app.cli_common import DEFAULT_URL, Actor, KeyFile, Scopes, ServerKeys, Url, _call, _scopes
from app.cli_keys import keys_cli
from app.config import Settings
from app.crypto.keys import KeyPair
from app.crypto.keystore import jwks_json, load_server_keys
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.services.vault import Vault

cli = typer.Typer(help="KIX, the Kidnapping Information eXchange.", no_args_is_help=True)
admin_cli = typer.Typer(
    help="Administration: database, bootstrap, agencies, keys, groups.", no_args_is_help=True
)
agencies_cli = typer.Typer(help="Agencies (signed admin calls).", no_args_is_help=True)
keys_admin_cli = typer.Typer(help="Agency keys (signed admin calls).", no_args_is_help=True)
groups_cli = typer.Typer(help="Sharing groups (signed admin calls).", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI document.", no_args_is_help=True)
cli.add_typer(admin_cli, name="admin")
admin_cli.add_typer(agencies_cli, name="agencies")
admin_cli.add_typer(keys_admin_cli, name="keys")
admin_cli.add_typer(groups_cli, name="groups")
cli.add_typer(keys_cli, name="keys")
cli.add_typer(openapi_cli, name="openapi")

cli.add_typer(records_cli.alerts_cli, name="alerts")
cli.add_typer(records_cli.suspects_cli, name="suspects")
cli.add_typer(records_cli.leads_cli, name="leads")
cli.command("match")(records_cli.match_command)


# ---------------------------------------------------------------- serve
@cli.command()
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
    from app.migrate import upgrade

    if metrics_port is not None:
        _serve_metrics(metrics_host, metrics_port)

    settings = Settings()
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    if client_ca is not None and tls_cert is None:
        raise typer.BadParameter("--client-ca needs --tls-cert and --tls-key")
    server_key, created = load_server_keys(settings.keys_dir, create=not settings.is_production)
    if created:
        typer.echo(f"WARNING: created a new server key in {settings.keys_dir} (development only)", err=True)
    db = Database(settings.database_url)
    upgrade(db.engine)
    if demo:
        if settings.is_production:
            raise typer.BadParameter("--demo is for development only")
        _demo_setup(db, settings, server_key, demo_records)
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


def _serve_metrics(host: str, port: int) -> None:
    """Expose the workers' metrics, aggregated, from this (the supervising) process."""
    import tempfile

    # Must be set before prometheus_client is first imported, here and in the workers it spawns.
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kix-metrics-"))
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def _demo_setup(db: Database, settings: Settings, server_key: KeyPair, records_per_kind: int) -> None:
    from app.bootstrap import setup_demo
    from app.demo import fill

    demo_dir = Path(os.environ.get("KIX_DEMO_DIR", "./kix-demo"))
    issued = setup_demo(db, demo_dir, jwks_json(server_key))
    typer.echo(f"Demo key files in {demo_dir.resolve()}:", err=True)
    for path in sorted(demo_dir.glob("*.json")):
        typer.echo(f"  {path.resolve()}", err=True)
    if not issued:
        typer.echo("  (demo agencies existed already; nothing new issued)", err=True)
    storage_keys, _ = load_storage_keys(settings.keys_dir, create=True)
    summary = fill(db, Vault(storage_keys), records_per_kind)
    if summary.records:
        typer.echo(
            f"Demo data: {summary.agencies} agencies, {summary.groups} groups, {summary.records} records",
            err=True,
        )
    keys = f"--key {demo_dir}/de-bka.key.json --server-keys {demo_dir}/server.jwks.json"
    typer.echo(f"Try: kix alerts list --table {keys}", err=True)


@cli.command()
def demo(
    records_per_kind: Annotated[int, typer.Option(help="Alerts, suspects and leads to make, of each")] = 3000,
) -> None:
    """Fill the database (KIX_DATABASE_URL) with synthetic agencies, groups, keys and linked records."""
    from app.migrate import upgrade

    settings = Settings()
    if settings.is_production:
        raise typer.BadParameter("demo data is for development databases only")
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    db = Database(settings.database_url)
    upgrade(db.engine)
    try:
        _demo_setup(db, settings, server_key, records_per_kind)
    finally:
        db.dispose()


# ---------------------------------------------------------------- admin (database host)
@admin_cli.command()
def migrate() -> None:
    """Bring the database (KIX_DATABASE_URL) to the latest schema."""
    from app.migrate import upgrade

    db = Database(Settings().database_url)
    upgrade(db.engine)
    db.dispose()
    typer.echo("database is at the latest revision", err=True)


@admin_cli.command()
def bootstrap(
    key_out: Annotated[Path, typer.Option(help="Where to write the admin key file (0600)")],
    country: Annotated[str, typer.Option(help="Operator country (ISO 3166-1 alpha-2, or EU)")] = "EU",
    name: Annotated[str, typer.Option(help="Operator agency name")] = "KIX operator",
) -> None:
    """Create the operator agency and its first admin key. Run once, on the database host."""
    from app.bootstrap import bootstrap_operator
    from app.errors import KixError
    from app.migrate import upgrade

    db = Database(Settings().database_url)
    upgrade(db.engine)
    try:
        issued = bootstrap_operator(db, key_out, country=country, name=name)
    except (KixError, FileExistsError) as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(
        f"operator agency {issued.agency_id}, admin key {issued.kid} written to {issued.path}", err=True
    )


@agencies_cli.command("create")
def agencies_create(
    key: KeyFile,
    server_keys: ServerKeys,
    agency_id: Annotated[str, typer.Option("--id", help="Slug, e.g. fr-ocrb")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2")],
    name: Annotated[str, typer.Option()],
    kind: Annotated[
        str, typer.Option(help="police, prosecutor, fiu, central_authority, judiciary, operator")
    ],
    scopes: Scopes,
    contact_name: Annotated[str, typer.Option(help="24/7 contact point")],
    contact_phone: Annotated[str, typer.Option(help="24/7 phone, E.164")],
    contact_email: Annotated[str, typer.Option(help="24/7 e-mail")],
    jurisdictions: Annotated[str, typer.Option(help="Comma-separated country codes")] = "",
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    """Register an agency."""
    body = {
        "id": agency_id,
        "country": country,
        "name": name,
        "kind": kind,
        "scopes": _scopes(scopes),
        "contact": {"name": contact_name, "phone": contact_phone, "email": contact_email},
        "jurisdictions": _scopes(jurisdictions),
    }
    _call(url, key, server_keys, actor, "create_agency", body)


@agencies_cli.command("list")
def agencies_list(
    key: KeyFile,
    server_keys: ServerKeys,
    cursor: str | None = None,
    limit: int = 50,
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    """List agencies (one page; pass --cursor for the next)."""
    _call(url, key, server_keys, actor, "list_agencies", cursor=cursor, limit=limit)


@agencies_cli.command("get")
def agencies_get(
    agency_id: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    _call(url, key, server_keys, actor, "get_agency", agency_id)


@agencies_cli.command("suspend")
def agencies_suspend(
    agency_id: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    """Suspend an agency: every one of its keys is refused from the next request on."""
    _call(url, key, server_keys, actor, "suspend_agency", agency_id)


@agencies_cli.command("reactivate")
def agencies_reactivate(
    agency_id: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    _call(url, key, server_keys, actor, "reactivate_agency", agency_id)


@keys_admin_cli.command("register")
def keys_register(
    agency_id: str,
    public_keys: Annotated[Path, typer.Option(help="The JSON `kix keys generate` printed", exists=True)],
    scopes: Scopes,
    key: KeyFile,
    server_keys: ServerKeys,
    not_before: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
    expires_at: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    """Register an agency's public keys."""
    public = json.loads(public_keys.read_text(encoding="utf-8"))
    _call(
        url,
        key,
        server_keys,
        actor,
        "register_key",
        agency_id,
        public,
        _scopes(scopes),
        not_before=not_before,
        expires_at=expires_at,
    )


@keys_admin_cli.command("list")
def keys_list(
    agency_id: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    _call(url, key, server_keys, actor, "list_keys", agency_id)


@keys_admin_cli.command("narrow")
def keys_narrow(
    kid: str,
    scopes: Scopes,
    key: KeyFile,
    server_keys: ServerKeys,
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    """Reduce a key's scopes to the given subset."""
    _call(url, key, server_keys, actor, "narrow_key", kid, _scopes(scopes))


@keys_admin_cli.command("revoke")
def keys_revoke(
    kid: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    """Revoke a key: refused from the next request on."""
    _call(url, key, server_keys, actor, "revoke_key", kid)


@groups_cli.command("create")
def groups_create(
    group_id: str,
    name: Annotated[str, typer.Option()],
    key: KeyFile,
    server_keys: ServerKeys,
    members: Annotated[str, typer.Option(help="Comma-separated agency ids")] = "",
    description: str = "",
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    body = {"id": group_id, "name": name, "description": description, "members": _scopes(members)}
    _call(url, key, server_keys, actor, "create_group", body)


@groups_cli.command("list")
def groups_list(
    key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "admin"
) -> None:
    _call(url, key, server_keys, actor, "list_groups")


@groups_cli.command("add-member")
def groups_add(
    group_id: str,
    agency_id: str,
    key: KeyFile,
    server_keys: ServerKeys,
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    _call(url, key, server_keys, actor, "add_group_member", group_id, agency_id)


@groups_cli.command("remove-member")
def groups_remove(
    group_id: str,
    agency_id: str,
    key: KeyFile,
    server_keys: ServerKeys,
    url: Url = DEFAULT_URL,
    actor: Actor = "admin",
) -> None:
    _call(url, key, server_keys, actor, "remove_group_member", group_id, agency_id)


# ---------------------------------------------------------------- openapi
@openapi_cli.command("export")
def openapi_export(
    out: Annotated[Path, typer.Option(help="Where to write it")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document of this version of KIX."""
    from app.openapi_export import export_openapi

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export_openapi(), encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)


# ---------------------------------------------------------------- SDK-backed calls
@cli.command()
def whoami(key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "cli") -> None:
    """Show the agency, key and scopes the server sees for your key."""
    _call(url, key, server_keys, actor, "whoami")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
