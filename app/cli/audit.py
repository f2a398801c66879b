"""`kix audit`: verify the whole log on the database host, and, as any agency through the SDK, check the
signed tree head and query the log."""

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import print_json, with_client
from app.cli.serve import server_settings
from app.client import KixClient
from app.client.audit import FileHeadStore
from app.crypto.keystore import load_server_keys
from app.db import Database
from app.services.audit.verify import verify as verify_log

audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_cli.command()
def verify() -> None:
    """Recompute the whole log (KIX_DATABASE_URL) and every signed tree head; name the first entry edited,
    removed, inserted or reordered, and exit 1 if there is one."""
    settings = server_settings()
    server_key = load_server_keys(settings.keys_dir, create=False)[0]
    db = Database(settings.database_url)
    try:
        with db.sessions() as session:
            keys = {server_key.kid: server_key.signing.public_key()}
            report = verify_log(
                session, keys, database_url=settings.database_url, workers=os.cpu_count() or 1
            )
    finally:
        db.dispose()
    for finding in report.findings:
        typer.echo(f"TAMPERED: {finding}", err=True)
    typer.echo(
        f"{report.entries} entries, {report.heads} signed tree heads: {'ok' if report.ok else 'FAILED'}"
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_cli.command()
@with_client
def head(
    client: KixClient,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Where to keep the last head seen (checked against the next)"),
    ] = None,
) -> None:
    """Fetch the signed tree head, check its signature and that it extends the last head seen."""
    if state is not None:
        client.audit.store = FileHeadStore(state)
    print_json(client.audit.tree_head())


@audit_cli.command()
@with_client
def prove(client: KixClient, seq: int) -> None:
    """Prove that entry SEQ (about your requests or records) is in the signed log."""
    print_json(client.audit.prove(seq))


@audit_cli.command()
@with_client
def query(
    client: KixClient,
    agency: str | None = None,
    by_actor: Annotated[str | None, typer.Option("--by-actor", help="Entries of this actor")] = None,
    route: str | None = None,
    since: Annotated[datetime | None, typer.Option(help="ISO 8601 with a time zone")] = None,
    until: Annotated[datetime | None, typer.Option(help="ISO 8601 with a time zone")] = None,
    limit: int = 100,
    after: str | None = None,
) -> None:
    """Query the whole log (audit:read) by agency, actor, route template and time."""
    params: dict[str, Any] = {"limit": limit}
    for name, value in (("agency", agency), ("actor", by_actor), ("route", route), ("after", after)):
        if value is not None:
            params[name] = value
    for name, moment in (("since", since), ("until", until)):
        if moment is not None:
            params[name] = moment.isoformat()
    print_json(client.request("GET", "/v1/audit/entries", params=params))
