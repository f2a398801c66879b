"""`kix stats`: trends as a table, a chart (--plot) or CSV (--csv), small cells suppressed by the server."""

from pathlib import Path
from typing import Annotated

import typer

from app.cli.cases import pixel_size
from app.cli.common import print_json, with_client
from app.client import KixClient

stats_cli = typer.Typer(help="Trends across member states, small cells suppressed.", no_args_is_help=True)


@stats_cli.command("trends")
@with_client
def trends(
    client: KixClient,
    by: Annotated[
        str, typer.Option(help="One or two of country, region, category, month, quarter, year, band")
    ] = ("country,year"),
    measure: Annotated[
        str, typer.Option(help="alerts, released, rescued, deceased, ransom_paid, suspects_charged, ...")
    ] = "alerts",
    since: Annotated[str | None, typer.Option(help="First month, YYYY-MM")] = None,
    until: Annotated[str | None, typer.Option(help="Last month, YYYY-MM")] = None,
    country: Annotated[str | None, typer.Option(help="Only these countries, comma-separated")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Draw a chart to this PNG file")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the cells to this CSV file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table")] = False,
    size: Annotated[str, typer.Option(help="Chart size in pixels, WIDTHxHEIGHT")] = "1400x800",
) -> None:
    """Print counts as a table ('<5': fewer than five; 'x': hidden to protect a small cell)."""
    from app.cli import trend_drawing  # here, not above: see cases.graph

    found = client.trends(by=by, measure=measure, since=since, until=until, country=country)
    if as_json:
        print_json(found)
    else:
        typer.echo(f"{found['since']} to {found['until']}")
        typer.echo(trend_drawing.format_table(trend_drawing.trend_rows(found)))
    if plot is not None:
        width, height = pixel_size(size)
        trend_drawing.draw_trends_png(found, plot, width_px=width, height_px=height)
        typer.echo(f"drew {plot}")
    if csv is not None:
        trend_drawing.write_trends_csv(found, csv)
        typer.echo(f"wrote {csv}")


def register(cli: typer.Typer) -> None:
    cli.add_typer(stats_cli, name="stats")
