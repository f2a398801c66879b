"""`kix practices`: the library of proven and promising practices."""

from typing import Annotated

import typer

from app.cli.common import print_json, with_client
from app.cli.records import BodyFile, read_body
from app.client import KixClient

practices_cli = typer.Typer(
    help="Proven and promising practices, shared with every member.", no_args_is_help=True
)


@practices_cli.command("publish")
@with_client
def publish(client: KixClient, file: BodyFile) -> None:
    """Publish a practice note described in a JSON file (title, country, themes, summary, lessons)."""
    print_json(client.publish_practice(read_body(file)))


@practices_cli.command("search")
@with_client
def search(
    client: KixClient,
    words: Annotated[str | None, typer.Argument(help="Words that must all occur")] = None,
    theme: Annotated[
        str | None, typer.Option(help="prevention, crisis_response, victim_support, ...")
    ] = None,
    country: str | None = None,
    cursor: str | None = None,
) -> None:
    """Practices, newest first, optionally searched in full text."""
    print_json(client.practices(q=words, theme=theme, country=country, cursor=cursor))


@practices_cli.command("get")
@with_client
def get(client: KixClient, practice_id: str) -> None:
    """A practice with its comments."""
    print_json(client.get_practice(practice_id))


@practices_cli.command("edit")
@with_client
def edit(
    client: KixClient,
    practice_id: str,
    file: BodyFile,
    etag: Annotated[str, typer.Option(help="The ETag of the version you edit")],
) -> None:
    """Its author: change a practice (fields in a JSON file)."""
    print_json(client.edit_practice(practice_id, read_body(file), etag=etag))


@practices_cli.command("comment")
@with_client
def comment(client: KixClient, practice_id: str, text: str) -> None:
    """Comment on a practice."""
    print_json(client.comment_practice(practice_id, text))


def register(cli: typer.Typer) -> None:
    cli.add_typer(practices_cli, name="practices")
