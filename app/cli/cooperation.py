"""`kix requests`, `kix directory` and `kix crises`: cooperation between agencies from the command line."""

from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli.common import comma_list, print_json, with_client
from app.cli.records import BodyFile, read_body
from app.client import KixClient

requests_cli = typer.Typer(help="Cooperation requests: MLA, extradition, freezing...", no_args_is_help=True)
directory_cli = typer.Typer(help="Competent authorities and victim services.", no_args_is_help=True)
crises_cli = typer.Typer(help="Crisis rooms for live kidnappings.", no_args_is_help=True)


@requests_cli.command("create")
@with_client
def requests_create(client: KixClient, file: BodyFile) -> None:
    """Send a request described in a JSON file (`"submit": false` keeps a draft)."""
    print_json(client.create_request(read_body(file)))


@requests_cli.command("list")
@with_client
def requests_list(
    client: KixClient,
    role: Annotated[str | None, typer.Option(help="requester, addressee or copied")] = None,
    state: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
) -> None:
    """Requests you made, must answer, or are copied on, newest first."""
    print_json(client.requests(role=role, state=state, kind=kind, cursor=cursor))


@requests_cli.command("get")
@with_client
def requests_get(client: KixClient, request_id: str) -> None:
    """One request with every step and what you may do now."""
    print_json(client.get_request(request_id))


@requests_cli.command("act")
@with_client
def requests_act(
    client: KixClient,
    request_id: str,
    action: Annotated[str, typer.Argument(help="submit, acknowledge, start, request_information, ...")],
    note: Annotated[str | None, typer.Option(help="Why (needed to refuse or ask for information)")] = None,
    grounds: Annotated[str, typer.Option(help="Refuse: comma-separated grounds")] = "",
    attachments: Annotated[Path | None, typer.Option(help="JSON file: a list of attachments")] = None,
) -> None:
    """Move a request on."""
    sent: list[dict[str, Any]] = read_body(attachments) if attachments else []
    print_json(
        client.act_on_request(request_id, action, note=note, grounds=comma_list(grounds), attachments=sent)
    )


@directory_cli.command("search")
@with_client
def directory_search(
    client: KixClient,
    country: str | None = None,
    kind: Annotated[str | None, typer.Option(help="Agency kind: police, prosecutor, fiu...")] = None,
    accepts: Annotated[str | None, typer.Option(help="A request kind it accepts")] = None,
    central_authority_for: Annotated[
        str | None, typer.Option(help="mutual_legal_assistance or extradition")
    ] = None,
) -> None:
    """Find competent authorities."""
    print_json(
        client.directory(
            country=country, kind=kind, accepts=accepts, central_authority_for=central_authority_for
        )
    )


@directory_cli.command("get")
@with_client
def directory_get(client: KixClient, agency_id: str) -> None:
    """One agency's entry."""
    print_json(client.directory_entry(agency_id))


@directory_cli.command("publish")
@with_client
def directory_publish(
    client: KixClient,
    file: BodyFile,
    agency: Annotated[str | None, typer.Option(help="Default: yours")] = None,
) -> None:
    """Publish your agency's entry (administrators: any agency's) from a JSON file."""
    agency_id = agency or client.whoami()["agency_id"]
    print_json(client.put_directory_entry(agency_id, read_body(file)))


@directory_cli.command("victim-services")
@with_client
def directory_victim_services(
    client: KixClient, country: str | None = None, kind: str | None = None, language: str | None = None
) -> None:
    """Help for victims and families: psychological, legal, financial, repatriation, family liaison."""
    print_json(client.victim_services(country=country, kind=kind, language=language))


@crises_cli.command("open")
@with_client
def crises_open(
    client: KixClient,
    alert_id: str,
    members: Annotated[str, typer.Option(help="Comma-separated agencies")] = "",
) -> None:
    """Open a crisis room on an active alert of yours."""
    print_json(client.open_crisis(alert_id, comma_list(members)))


@crises_cli.command("list")
@with_client
def crises_list(client: KixClient) -> None:
    """Rooms you are in."""
    print_json(client.crises())


@crises_cli.command("get")
@with_client
def crises_get(client: KixClient, room_id: str) -> None:
    """A room and its timeline."""
    print_json(client.crisis(room_id))


@crises_cli.command("entry")
@with_client
def crises_entry(
    client: KixClient,
    room_id: str,
    kind: Annotated[
        str, typer.Option(help="proof_of_life, kidnapper_contact, ransom_demand, sighting, decision...")
    ],
    text: Annotated[str, typer.Option()],
) -> None:
    """Add to a room's timeline."""
    print_json(client.add_crisis_entry(room_id, kind, text))


@crises_cli.command("close")
@with_client
def crises_close(
    client: KixClient,
    room_id: str,
    outcome: Annotated[str, typer.Option(help="released, rescued, escaped, deceased or unresolved")],
    ransom_paid: Annotated[bool, typer.Option("--ransom-paid/--no-ransom-paid")],
    amount: str | None = None,
    currency: str | None = None,
) -> None:
    """Close a room with its outcome and the concessions made."""
    concessions = {"ransom_paid": ransom_paid, "amount": amount, "currency": currency}
    print_json(client.close_crisis(room_id, outcome, concessions))


def register(cli: typer.Typer) -> None:
    cli.add_typer(requests_cli, name="requests")
    cli.add_typer(directory_cli, name="directory")
    cli.add_typer(crises_cli, name="crises")
