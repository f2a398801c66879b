"""`kix alerts|suspects|leads ...` and `kix match`: analysts' commands, JSON by default, a readable table
with --table. What a table shows of each kind is declared by the kind itself."""

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import UsageProblem, print_json, with_client
from app.cli.record_import import import_records
from app.client import KixClient
from app.services.records.kinds import KINDS

Table = Annotated[bool, typer.Option("--table", help="A readable table instead of JSON")]
BodyFile = Annotated[Path, typer.Option("--file", help="JSON body ('-' for standard input)", allow_dash=True)]
IfMatch = Annotated[str, typer.Option("--if-match", help="ETag of the version you change, e.g. '\"v3\"'")]


def render_table(collection: str, records: list[dict[str, Any]]) -> str:
    columns = next(spec.table_columns for spec in KINDS.values() if spec.path == collection)
    rows = [[str(value(record)) for _, value in columns] for record in records]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, (name, _) in enumerate(columns)]
    lines = ["  ".join(name.upper().ljust(width) for (name, _), width in zip(columns, widths, strict=True))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def read_body(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise UsageProblem(f"--file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UsageProblem(f"--file {path} is not JSON: {exc}") from exc


def _show(collection: str, data: Any, table: bool) -> None:
    if not table:
        print_json(data)
        return
    items = data["items"] if isinstance(data, dict) and "items" in data else [data]
    typer.echo(render_table(collection, items))
    if isinstance(data, dict) and data.get("page", {}).get("next_cursor"):
        typer.echo(f"(more: --cursor {data['page']['next_cursor']})")


def build(collection: str) -> typer.Typer:
    """The command group of one record kind (`collection` is its path: alerts, suspects, leads)."""
    group = typer.Typer(help=f"Shared {collection} (signed calls through the SDK).", no_args_is_help=True)

    @group.command("list")
    @with_client
    def list_(
        client: KixClient,
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
    ) -> None:
        """List the records you may see, newest (or most urgent) first."""
        filters: dict[str, Any] = {"status": status, "category": category, "urgency": urgency}
        filters |= {
            "country": country,
            "owner": owner,
            "linked": linked,
            "sort": sort,
            "limit": limit,
            "cursor": cursor,
        }
        _show(collection, client.list_records(collection, **filters), table)

    @group.command("get")
    @with_client
    def get(client: KixClient, record_id: str, table: Table = False) -> None:
        """One record."""
        _show(collection, client.get_record(collection, record_id), table)

    @group.command("count")
    @with_client
    def count(client: KixClient, status: str | None = None) -> None:
        """How many records you may see."""
        print_json(client.count_records(collection, status=status))

    @group.command("create")
    @with_client
    def create(
        client: KixClient,
        file: BodyFile,
        idempotency_key: Annotated[
            str | None, typer.Option(help="Retries with it create nothing new")
        ] = None,
    ) -> None:
        """Create a record from a JSON file."""
        print_json(client.create_record(collection, read_body(file), idempotency_key=idempotency_key))

    @group.command("import")
    @with_client
    def import_(
        client: KixClient,
        file: Annotated[Path, typer.Argument(help="One JSON record per line (JSON Lines)")],
        batch_size: Annotated[int, typer.Option(help="Records per call (at most 500)")] = 500,
        atomic: Annotated[bool, typer.Option(help="A batch with an invalid record creates nothing")] = False,
        idempotency_prefix: Annotated[
            str | None,
            typer.Option(help="Keys <prefix>-<batch number>: rerunning the import creates nothing twice"),
        ] = None,
    ) -> None:
        """Backfill records from a JSON Lines file, in batches, with a progress bar (on standard error)."""
        summary = import_records(
            client,
            collection,
            file,
            batch_size=batch_size,
            atomic=atomic,
            idempotency_prefix=idempotency_prefix,
        )
        print_json(summary)
        if summary["invalid"]:
            raise typer.Exit(1)

    @group.command("update")
    @with_client
    def update(client: KixClient, record_id: str, file: BodyFile, if_match: IfMatch) -> None:
        """Change your own record: the JSON file holds only the fields that change."""
        print_json(client.update_record(collection, record_id, read_body(file), etag=if_match))

    @group.command("close")
    @with_client
    def close(client: KixClient, record_id: str, if_match: IfMatch) -> None:
        """Close your own record, when its lifecycle allows (an active alert is first released...)."""
        print_json(client.update_record(collection, record_id, {"status": "closed"}, etag=if_match))

    @group.command("withdraw")
    @with_client
    def withdraw(
        client: KixClient,
        record_id: str,
        reason: Annotated[str, typer.Option(help="Told to every agency that saw the record")],
    ) -> None:
        """Withdraw your own record; every agency that saw it is notified and asked to acknowledge."""
        print_json(client.withdraw_record(collection, record_id, reason))

    @group.command("revisions")
    @with_client
    def revisions(client: KixClient, record_id: str) -> None:
        """Every version of a record, oldest first."""
        print_json(client.record_revisions(collection, record_id))

    @group.command("access-log")
    @with_client
    def access_log(client: KixClient, record_id: str) -> None:
        """Who read, matched, changed or was sent your record, when, and through which route."""
        print_json(client.request("GET", f"/v1/{collection}/{record_id}/access-log"))

    @group.command("retention")
    @with_client
    def retention(
        client: KixClient,
        record_id: str,
        extend_to: Annotated[str | None, typer.Option(help="A later review date (YYYY-MM-DD)")] = None,
        reason: Annotated[str | None, typer.Option(help="Why it must be kept longer (recorded)")] = None,
    ) -> None:
        """Your record's review date and extensions; with --extend-to and --reason, keep it longer."""
        path = f"/v1/{collection}/{record_id}/retention"
        if extend_to is None:
            print_json(client.request("GET", path))
        else:
            print_json(client.request("POST", path, json={"review_by": extend_to, "reason": reason or ""}))

    return group


@with_client
def match(
    client: KixClient,
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
) -> None:
    """Hit/no-hit: is any of this known to KIX? Records you may see come back as references; others only
    as a hit naming the owner to ask (when the owner allows it)."""
    wallets = []
    for item in wallet or []:
        chain, _, address = item.partition(":")
        if not address:
            raise UsageProblem("--wallet takes CHAIN:ADDRESS, e.g. bitcoin:bc1q...")
        wallets.append({"chain": chain, "address": address})
    criteria = {
        "names": name or [],
        "dates_of_birth": dob or [],
        "documents": document or [],
        "accounts": account or [],
        "wallets": wallets,
        "phones": phone or [],
    }
    print_json(client.match(criteria))


def register(cli: typer.Typer) -> None:
    for spec in KINDS.values():
        cli.add_typer(build(spec.path), name=spec.path)
    cli.command("match")(match)
