"""`kix`: serve, administer, manage keys, export the OpenAPI spec, and call the API through the SDK.

One module per command group; this one assembles them under the root command.
"""

import sys
from typing import Annotated

import typer

from app.cli import (
    admin,
    audit,
    cases,
    classify,
    console,
    cooperation,
    events,
    keys,
    openapi,
    practices,
    records,
    serve,
    stats,
)
from app.cli.common import DEBUG, KixGroup, print_json, with_client
from app.client import KixClient

cli = typer.Typer(
    cls=KixGroup,
    help="KIX, the Kidnapping Information eXchange.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for failures")] = False,
) -> None:
    ctx.meta[DEBUG] = debug


serve.register(cli)
cli.add_typer(admin.admin_cli, name="admin")
cli.add_typer(keys.keys_cli, name="keys")
cli.add_typer(openapi.openapi_cli, name="openapi")
cli.add_typer(audit.audit_cli, name="audit")
records.register(cli)
events.register(cli)
cooperation.register(cli)
cases.register(cli)
stats.register(cli)
practices.register(cli)
classify.register(cli)
console.register(cli)


@cli.command()
@with_client
def whoami(client: KixClient) -> None:
    """Show the agency, key and scopes the server sees for your key."""
    print_json(client.whoami())


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
