"""`kix openapi export`: the OpenAPI document of this version of KIX."""

from pathlib import Path
from typing import Annotated

import typer

openapi_cli = typer.Typer(help="The OpenAPI document.", no_args_is_help=True)


@openapi_cli.command("export")
def export(
    out: Annotated[Path, typer.Option(help="Where to write it")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document of this version of KIX."""
    from app.openapi_export import export_openapi

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export_openapi(), encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)
