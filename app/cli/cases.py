"""`kix cases`: joint cases, their records and links, and the link graph (JSON, PNG, GraphML)."""

import re
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import comma_list, print_json, with_client
from app.client import KixClient

cases_cli = typer.Typer(
    help="Joint cases with participant agencies, and their link graph.", no_args_is_help=True
)


def pixel_size(text: str) -> tuple[int, int]:
    found = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text)
    if found is None:
        raise typer.BadParameter(f"{text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1600x1200")
    return int(found[1]), int(found[2])


@cases_cli.command("open")
@with_client
def open_(
    client: KixClient,
    title: str,
    summary: Annotated[str, typer.Option(help="What the case is about")] = "",
    invite: Annotated[str, typer.Option(help="Comma-separated agencies to invite")] = "",
) -> None:
    """Open a case and invite agencies to take part."""
    print_json(client.open_case(title, summary=summary, invite=comma_list(invite)))


@cases_cli.command("list")
@with_client
def list_(
    client: KixClient,
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    cursor: str | None = None,
) -> None:
    """Cases you own, take part in, or are invited to, newest first."""
    print_json(client.cases(status=status, cursor=cursor))


@cases_cli.command("get")
@with_client
def get(client: KixClient, case_id: str) -> None:
    """A case, its participants and the records you see in it."""
    print_json(client.get_case(case_id))


@cases_cli.command("invite")
@with_client
def invite(client: KixClient, case_id: str, agencies: Annotated[str, typer.Argument(help="a,b,c")]) -> None:
    """Owner: invite more agencies."""
    print_json(client.invite_to_case(case_id, comma_list(agencies)))


@cases_cli.command("accept")
@with_client
def accept(client: KixClient, case_id: str) -> None:
    """Accept an invitation."""
    print_json(client.answer_case(case_id, accept=True))


@cases_cli.command("decline")
@with_client
def decline(client: KixClient, case_id: str) -> None:
    """Decline an invitation."""
    print_json(client.answer_case(case_id, accept=False))


@cases_cli.command("leave")
@with_client
def leave(client: KixClient, case_id: str) -> None:
    """Leave a case: you no longer see what was shared into it."""
    print_json(client.leave_case(case_id))


@cases_cli.command("close")
@with_client
def close(client: KixClient, case_id: str) -> None:
    """Owner: close the case."""
    print_json(client.close_case(case_id))


@cases_cli.command("add")
@with_client
def add(
    client: KixClient,
    case_id: str,
    record_id: str,
    share: Annotated[
        bool, typer.Option("--share", help="Your record: consent that the participants see it")
    ] = False,
) -> None:
    """Link a record you see into the case."""
    print_json(client.add_to_case(case_id, record_id, share=share))


@cases_cli.command("share")
@with_client
def share(
    client: KixClient,
    case_id: str,
    record_id: str,
    withdraw: Annotated[bool, typer.Option("--withdraw", help="Withdraw the consent instead")] = False,
) -> None:
    """Your record: consent that the case's participants see it (or withdraw that consent)."""
    print_json(client.share_in_case(case_id, record_id, share=not withdraw))


@cases_cli.command("remove")
@with_client
def remove(client: KixClient, case_id: str, record_id: str) -> None:
    """Unlink a record from the case."""
    print_json(client.remove_from_case_records(case_id, record_id))


@cases_cli.command("refer")
@with_client
def refer(
    client: KixClient,
    case_id: str,
    kind: Annotated[str, typer.Argument(help="request or crisis")],
    ref_id: str,
    remove: Annotated[bool, typer.Option("--remove", help="Unlink it instead")] = False,
) -> None:
    """Link a cooperation request you are a party to, or a crisis room you are in, into the case."""
    if remove:
        print_json(client.unrefer_in_case(case_id, kind, ref_id))
    else:
        print_json(client.refer_in_case(case_id, kind, ref_id))


@cases_cli.command("link")
@with_client
def link(
    client: KixClient,
    case_id: str,
    source: str,
    target: str,
    link_type: Annotated[str, typer.Option("--type", help="same_person, same_phone, paid_to, ...")],
    confidence: Annotated[str, typer.Option(help="confirmed, probable or possible")] = "probable",
) -> None:
    """A typed link between two records of the case."""
    print_json(client.link_in_case(case_id, source, target, link_type, confidence))


@cases_cli.command("graph")
@with_client
def graph(
    client: KixClient,
    case_id: str,
    png: Annotated[Path | None, typer.Option("--png", help="Draw the graph to this PNG file")] = None,
    graphml: Annotated[
        Path | None, typer.Option("--graphml", help="Export for Gephi and i2-style tools")
    ] = None,
    size: Annotated[str, typer.Option(help="PNG size in pixels, WIDTHxHEIGHT")] = "1600x1200",
) -> None:
    """The case's link graph as you may see it: JSON, or drawn (--png), or exported (--graphml)."""
    found = client.case_graph(case_id)
    if png is None and graphml is None:
        print_json(found)
        return
    # Imported here: matplotlib and networkx weigh some 55 MB, which every `kix` process, the server's
    # single worker among them, would otherwise carry.
    from app.cli import graph_drawing

    if png is not None:
        width, height = pixel_size(size)
        graph_drawing.draw_graph_png(found, png, width_px=width, height_px=height)
        typer.echo(f"drew {len(found['nodes'])} records and {len(found['edges'])} links to {png}")
    if graphml is not None:
        graph_drawing.write_graphml(found, graphml)
        typer.echo(f"wrote {graphml}")


def register(cli: typer.Typer) -> None:
    cli.add_typer(cases_cli, name="cases")
