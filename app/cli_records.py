"""`kix alerts|suspects|leads list|get|count|create|update|withdraw|revisions`: analysts' commands,
JSON by default, a readable table with --table."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_common import DEFAULT_URL, Actor, KeyFile, ServerKeys, Url, print_json
from app.client import KixClient, KixProblem

Table = Annotated[bool, typer.Option("--table", help="A readable table instead of JSON")]
BodyFile = Annotated[Path, typer.Option("--file", help="JSON body ('-' for standard input)", allow_dash=True)]

_COLUMNS: dict[str, list[tuple[str, Any]]] = {
    "alerts": [
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("urgency", lambda r: r["urgency"]),
        ("category", lambda r: r["category"]),
        ("country", lambda r: r["place"]["country"]),
        ("occurred", lambda r: r["occurred_at"][:16]),
    ],
    "suspects": [
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("name", lambda r: r["names"][0]["full_name"]),
        ("born", lambda r: r["date_of_birth"] or ""),
        ("nationalities", lambda r: ",".join(r["nationalities"])),
    ],
    "leads": [
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("asset", lambda r: r["asset_kind"]),
        ("amount", lambda r: f"{r['amount']} {r['currency']}"),
        ("jurisdiction", lambda r: r["jurisdiction"]),
    ],
}


def render_table(kind: str, records: list[dict[str, Any]]) -> str:
    columns = _COLUMNS[kind]
    rows = [[str(value(record)) for _, value in columns] for record in records]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, (name, _) in enumerate(columns)]
    lines = ["  ".join(name.upper().ljust(width) for (name, _), width in zip(columns, widths, strict=True))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _read_body(path: Path) -> Any:
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--file is not JSON: {exc}") from exc


def _run(url: str, key: Path, server_keys: Path, actor: str, call: Any) -> Any:
    with KixClient(url, key, server_keys, actor=actor) as client:
        try:
            return call(client)
        except KixProblem as problem:
            typer.echo(json.dumps(problem.problem, indent=2), err=True)
            raise typer.Exit(1) from problem


def _show(kind: str, data: Any, table: bool) -> None:
    if not table:
        print_json(data)
        return
    items = data["items"] if isinstance(data, dict) and "items" in data else [data]
    typer.echo(render_table(kind, items))
    if isinstance(data, dict) and data.get("page", {}).get("next_cursor"):
        typer.echo(f"(more: --cursor {data['page']['next_cursor']})")


def build(kind: str) -> typer.Typer:
    app = typer.Typer(help=f"Shared {kind} (signed calls through the SDK).", no_args_is_help=True)

    @app.command("list")
    def list_(
        key: KeyFile,
        server_keys: ServerKeys,
        status: str | None = None,
        category: str | None = None,
        urgency: str | None = None,
        country: str | None = None,
        owner: str | None = None,
        linked: str | None = None,
        sort: Annotated[str, typer.Option(help="recent, or urgency (alerts)")] = "recent",
        limit: int = 50,
        cursor: str | None = None,
        table: Table = False,
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """List the records you may see, newest (or most urgent) first."""
        filters = {
            "status": status,
            "category": category,
            "urgency": urgency,
            "country": country,
            "owner": owner,
            "linked": linked,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
        _show(kind, _run(url, key, server_keys, actor, lambda c: c.list_records(kind, **filters)), table)

    @app.command("get")
    def get(
        record_id: str,
        key: KeyFile,
        server_keys: ServerKeys,
        table: Table = False,
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """One record."""
        _show(kind, _run(url, key, server_keys, actor, lambda c: c.get_record(kind, record_id)), table)

    @app.command("count")
    def count(
        key: KeyFile,
        server_keys: ServerKeys,
        status: str | None = None,
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        print_json(_run(url, key, server_keys, actor, lambda c: c.count_records(kind, status=status)))

    @app.command("create")
    def create(
        file: BodyFile,
        key: KeyFile,
        server_keys: ServerKeys,
        idempotency_key: Annotated[
            str | None, typer.Option(help="Retries with it create nothing new")
        ] = None,
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """Create a record from a JSON file."""
        body = _read_body(file)
        print_json(
            _run(
                url,
                key,
                server_keys,
                actor,
                lambda c: c.create_record(kind, body, idempotency_key=idempotency_key),
            )
        )

    @app.command("update")
    def update(
        record_id: str,
        file: BodyFile,
        key: KeyFile,
        server_keys: ServerKeys,
        if_match: Annotated[str, typer.Option(help="ETag of the version you change, e.g. '\"v3\"'")],
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """Change your own record: the JSON file holds only the fields that change."""
        changes = _read_body(file)
        print_json(
            _run(
                url,
                key,
                server_keys,
                actor,
                lambda c: c.update_record(kind, record_id, changes, etag=if_match),
            )
        )

    @app.command("withdraw")
    def withdraw(
        record_id: str,
        key: KeyFile,
        server_keys: ServerKeys,
        reason: Annotated[str, typer.Option(help="Told to every agency that saw the record")],
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """Withdraw your own record; every agency that saw it is notified and asked to acknowledge."""
        print_json(_run(url, key, server_keys, actor, lambda c: c.withdraw_record(kind, record_id, reason)))

    @app.command("close")
    def close(
        record_id: str,
        key: KeyFile,
        server_keys: ServerKeys,
        if_match: Annotated[str, typer.Option(help="ETag of the version you close, e.g. '\"v3\"'")],
        url: Url = DEFAULT_URL,
        actor: Actor = "cli",
    ) -> None:
        """Close your own record, when its lifecycle allows (an active alert is first released...)."""
        changes = {"status": "closed"}
        print_json(
            _run(
                url,
                key,
                server_keys,
                actor,
                lambda c: c.update_record(kind, record_id, changes, etag=if_match),
            )
        )

    @app.command("revisions")
    def revisions(
        record_id: str, key: KeyFile, server_keys: ServerKeys, url: Url = DEFAULT_URL, actor: Actor = "cli"
    ) -> None:
        """Every version of a record, oldest first."""
        print_json(_run(url, key, server_keys, actor, lambda c: c.record_revisions(kind, record_id)))

    return app


alerts_cli = build("alerts")
suspects_cli = build("suspects")
leads_cli = build("leads")


def match_command(
    key: KeyFile,
    server_keys: ServerKeys,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="A name, in any script (repeatable)")
    ] = None,
    dob: Annotated[
        list[str] | None, typer.Option("--dob", help="Date of birth, YYYY-MM-DD (repeatable)")
    ] = None,
    document: Annotated[
        list[str] | None, typer.Option("--document", help="Document number (repeatable)")
    ] = None,
    account: Annotated[list[str] | None, typer.Option("--account", help="IBAN (repeatable)")] = None,
    wallet: Annotated[list[str] | None, typer.Option("--wallet", help="CHAIN:ADDRESS (repeatable)")] = None,
    phone: Annotated[
        list[str] | None, typer.Option("--phone", help="Phone, international form (repeatable)")
    ] = None,
    url: Url = DEFAULT_URL,
    actor: Actor = "cli",
) -> None:
    """Hit/no-hit: is any of this known to KIX? Records you may see come back as references; others only
    as a hit naming the owner to ask (when the owner allows it)."""
    wallets = []
    for item in wallet or []:
        chain, _, address = item.partition(":")
        if not address:
            raise typer.BadParameter("--wallet takes CHAIN:ADDRESS, e.g. bitcoin:bc1q...")
        wallets.append({"chain": chain, "address": address})
    criteria = {
        "names": name or [],
        "dates_of_birth": dob or [],
        "documents": document or [],
        "accounts": account or [],
        "wallets": wallets,
        "phones": phone or [],
    }
    print_json(_run(url, key, server_keys, actor, lambda c: c.match(criteria)))
