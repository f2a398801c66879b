"""`kix feed` and `kix webhooks`: the caller's event stream, followed or delivered."""

import json
from typing import Annotated

import typer

from app.cli.common import comma_list, print_json, with_client
from app.client import KixClient

webhooks_cli = typer.Typer(help="Webhook endpoints your events are delivered to.", no_args_is_help=True)


@with_client
def feed(
    client: KixClient,
    after: Annotated[str | None, typer.Option(help="Resume after this cursor")] = None,
    types: Annotated[
        str, typer.Option(help="Comma-separated event types, e.g. record.created,hit.recorded")
    ] = "",
    follow: Annotated[bool, typer.Option("--follow", help="Keep printing new events as they come")] = False,
    wait: Annotated[float, typer.Option(min=1, max=30, help="With --follow: seconds per long poll")] = 30,
) -> None:
    """Print your events, one JSON object per line; the cursor to resume from goes to stderr at the end."""
    stream = client.feed
    try:
        for event in stream.iter(after, types=comma_list(types) or None, wait=wait, follow=follow):
            typer.echo(json.dumps(event, ensure_ascii=False))
    except KeyboardInterrupt:
        pass
    finally:
        if stream.cursor:
            typer.echo(f"cursor: {stream.cursor}", err=True)


@webhooks_cli.command("add")
@with_client
def webhooks_add(
    client: KixClient,
    endpoint_url: Annotated[str, typer.Argument(help="The HTTPS URL events are posted to")],
    types: Annotated[str, typer.Option(help="Comma-separated event types (default: all)")] = "",
) -> None:
    """Register an HTTPS endpoint; events are delivered to it signed by KIX and encrypted to your key."""
    print_json(client.add_webhook(endpoint_url, comma_list(types)))


@webhooks_cli.command("list")
@with_client
def webhooks_list(client: KixClient) -> None:
    """Your endpoints."""
    print_json(client.webhooks())


@webhooks_cli.command("remove")
@with_client
def webhooks_remove(client: KixClient, endpoint_id: str) -> None:
    """Stop delivering to an endpoint."""
    print_json(client.remove_webhook(endpoint_id))


@webhooks_cli.command("test")
@with_client
def webhooks_test(client: KixClient, endpoint_id: str) -> None:
    """Queue a test event for an endpoint (it arrives like any other)."""
    print_json(client.test_webhook(endpoint_id))


@webhooks_cli.command("deliveries")
@with_client
def webhooks_deliveries(
    client: KixClient,
    endpoint_id: str,
    state: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
) -> None:
    """The delivery log of an endpoint, newest first."""
    print_json(client.webhook_deliveries(endpoint_id, state=state))


@webhooks_cli.command("redeliver")
@with_client
def webhooks_redeliver(client: KixClient, endpoint_id: str, delivery_id: str) -> None:
    """Deliver again (a dead delivery: also resumes its paused endpoint)."""
    print_json(client.redeliver_webhook(endpoint_id, delivery_id))


def register(cli: typer.Typer) -> None:
    cli.command("feed")(feed)
    cli.add_typer(webhooks_cli, name="webhooks")
