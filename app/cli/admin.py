"""`kix admin`: on the database host (migrate, bootstrap), and signed admin calls (agencies, keys, groups)."""

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import REFUSED, Scopes, UsageProblem, comma_list, print_json, with_client
from app.cli.serve import server_settings
from app.client import KixClient
from app.db import Database

admin_cli = typer.Typer(
    help="Administration: database, bootstrap, agencies, keys, groups.", no_args_is_help=True
)
agencies_cli = typer.Typer(help="Agencies (signed admin calls).", no_args_is_help=True)
keys_cli = typer.Typer(help="Agency keys (signed admin calls).", no_args_is_help=True)
groups_cli = typer.Typer(help="Sharing groups (signed admin calls).", no_args_is_help=True)
admin_cli.add_typer(agencies_cli, name="agencies")
admin_cli.add_typer(keys_cli, name="keys")
admin_cli.add_typer(groups_cli, name="groups")
retention_cli = typer.Typer(help="Retention by review date (on the database host).", no_args_is_help=True)
admin_cli.add_typer(retention_cli, name="retention")
stats_cli = typer.Typer(help="The trends rollup (on the database host).", no_args_is_help=True)
admin_cli.add_typer(stats_cli, name="stats")


# ---------------------------------------------------------------- on the database host
@admin_cli.command()
def migrate() -> None:
    """Bring the database (KIX_DATABASE_URL) to the latest schema."""
    from app.migrate import upgrade

    db = Database(server_settings().database_url)
    try:
        upgrade(db.engine)
    finally:
        db.dispose()
    typer.echo("database is at the latest revision", err=True)


@admin_cli.command()
def bootstrap(
    key_out: Annotated[Path, typer.Option(help="Where to write the admin key file (0600)")],
    country: Annotated[str, typer.Option(help="Operator country (ISO 3166-1 alpha-2, or EU)")] = "EU",
    name: Annotated[str, typer.Option(help="Operator agency name")] = "KIX operator",
) -> None:
    """Once, on the database host: migrate the database, create the server's keys (if missing), the
    operator agency and its first admin key."""
    from app.bootstrap import bootstrap_operator, prepare_server
    from app.errors import KixError

    settings = server_settings()
    db = prepare_server(settings, create_keys=True)  # the one command that makes a production server's keys
    try:
        issued = bootstrap_operator(db, key_out, country=country, name=name)
    except KixError as exc:
        typer.echo(f"kix: refused: {exc.detail}", err=True)
        raise typer.Exit(REFUSED) from exc
    finally:
        db.dispose()
    typer.echo(
        f"operator agency {issued.agency_id}, admin key {issued.kid} written to {issued.path}", err=True
    )
    typer.echo("next: `kix keys server-jwks > server.jwks.json` and give that file to every agency", err=True)


@retention_cli.command("run")
def retention_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done; change nothing")
    ] = False,
) -> None:
    """On the database host: warn, hide and purge records by their review dates now (the scheduler does
    it hourly; running it again changes nothing more)."""
    from datetime import UTC, datetime

    from app.services.records.retention import run_job

    settings = server_settings()
    db = Database(settings.database_url)
    try:
        report = run_job(db, settings, datetime.now(UTC), dry_run=dry_run)
    finally:
        db.dispose()
    prefix = "would be " if dry_run else ""
    for verb, ids in (("warned", report.warned), ("hidden", report.hidden), ("purged", report.purged)):
        typer.echo(f"{prefix}{verb}: {len(ids)}" + (f" ({', '.join(ids)})" if ids else ""))


@admin_cli.command()
def reindex() -> None:
    """On the database host: re-derive every record's blind indexes (after an upgrade that changes how
    names or identifiers are normalised; the release notes say when)."""
    from app.crypto.storage_keys import load_storage_keys
    from app.services.matching.reindex import reindex_all
    from app.services.vault import Vault

    settings = server_settings()
    db = Database(settings.database_url)
    try:
        storage_keys, _ = load_storage_keys(settings.keys_dir, create=False)
        done = reindex_all(db, Vault(storage_keys), progress=lambda n: typer.echo(f"  {n} records", err=True))
    finally:
        db.dispose()
    typer.echo(f"re-indexed {done} records")


@stats_cli.command("rebuild")
def stats_rebuild() -> None:
    """On the database host: rebuild the trends rollup from the records (after upgrading a database that
    predates it; the event stream keeps it current afterwards)."""
    from app.crypto.storage_keys import load_storage_keys
    from app.services.analysis.rollup import rebuild_rollup
    from app.services.vault import Vault

    settings = server_settings()
    db = Database(settings.database_url)
    try:
        storage_keys, _ = load_storage_keys(settings.keys_dir, create=False)
        counted = rebuild_rollup(db, Vault(storage_keys))
    finally:
        db.dispose()
    typer.echo(f"rollup rebuilt: {counted} records counted")


# ---------------------------------------------------------------- agencies
@agencies_cli.command("create")
@with_client
def agencies_create(
    client: KixClient,
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
) -> None:
    """Register an agency."""
    body = {
        "id": agency_id,
        "country": country,
        "name": name,
        "kind": kind,
        "scopes": comma_list(scopes),
        "contact": {"name": contact_name, "phone": contact_phone, "email": contact_email},
        "jurisdictions": comma_list(jurisdictions),
    }
    print_json(client.create_agency(body))


@agencies_cli.command("list")
@with_client
def agencies_list(client: KixClient, cursor: str | None = None, limit: int = 50) -> None:
    """List agencies (one page; pass --cursor for the next)."""
    print_json(client.list_agencies(cursor=cursor, limit=limit))


@agencies_cli.command("get")
@with_client
def agencies_get(client: KixClient, agency_id: str) -> None:
    """One agency."""
    print_json(client.get_agency(agency_id))


@agencies_cli.command("suspend")
@with_client
def agencies_suspend(client: KixClient, agency_id: str) -> None:
    """Suspend an agency: every one of its keys is refused from the next request on."""
    print_json(client.suspend_agency(agency_id))


@agencies_cli.command("reactivate")
@with_client
def agencies_reactivate(client: KixClient, agency_id: str) -> None:
    """Lift a suspension."""
    print_json(client.reactivate_agency(agency_id))


# ---------------------------------------------------------------- keys
@keys_cli.command("register")
@with_client
def keys_register(
    client: KixClient,
    agency_id: str,
    public_keys: Annotated[Path, typer.Option(help="The JSON `kix keys generate` printed")],
    scopes: Scopes,
    not_before: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
    expires_at: Annotated[str | None, typer.Option(help="RFC 3339")] = None,
) -> None:
    """Register an agency's public keys."""
    try:
        public = json.loads(public_keys.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageProblem(f"--public-keys {public_keys}: not the JSON `kix keys generate` printed") from exc
    if not isinstance(public, dict) or not {"kid", "sign", "encrypt"} <= set(public):
        raise UsageProblem(f"--public-keys {public_keys}: needs kid, sign and encrypt")
    print_json(
        client.register_key(
            agency_id, public, comma_list(scopes), not_before=not_before, expires_at=expires_at
        )
    )


@keys_cli.command("list")
@with_client
def keys_list(client: KixClient, agency_id: str) -> None:
    """An agency's keys."""
    print_json(client.list_keys(agency_id))


@keys_cli.command("narrow")
@with_client
def keys_narrow(client: KixClient, kid: str, scopes: Scopes) -> None:
    """Reduce a key's scopes to the given subset."""
    print_json(client.narrow_key(kid, comma_list(scopes)))


@keys_cli.command("revoke")
@with_client
def keys_revoke(client: KixClient, kid: str) -> None:
    """Revoke a key: refused from the next request on."""
    print_json(client.revoke_key(kid))


# ---------------------------------------------------------------- groups
@groups_cli.command("create")
@with_client
def groups_create(
    client: KixClient,
    group_id: str,
    name: Annotated[str, typer.Option()],
    members: Annotated[str, typer.Option(help="Comma-separated agency ids")] = "",
    description: str = "",
) -> None:
    """Create a sharing group."""
    body = {"id": group_id, "name": name, "description": description, "members": comma_list(members)}
    print_json(client.create_group(body))


@groups_cli.command("list")
@with_client
def groups_list(client: KixClient) -> None:
    """Sharing groups with their members."""
    print_json(client.list_groups())


@groups_cli.command("add-member")
@with_client
def groups_add(client: KixClient, group_id: str, agency_id: str) -> None:
    """Add an agency to a group."""
    print_json(client.add_group_member(group_id, agency_id))


@groups_cli.command("remove-member")
@with_client
def groups_remove(client: KixClient, group_id: str, agency_id: str) -> None:
    """Remove an agency from a group."""
    print_json(client.remove_group_member(group_id, agency_id))
