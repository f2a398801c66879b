"""`kix classify`: how KIX alert categories map to UNODC's ICCS crime classes (no server, no key)."""

import textwrap
from typing import Annotated

import typer

from app.cli.common import print_json
from app.schemas.classification import CLASSIFICATION, ICCS_VERSION, as_json

_NOTE_WIDTH = 60
_HEADERS = ("category", "iccs", "iccs label", "related", "note")


def render_table() -> str:
    """The mapping as a plain-text table; the note wraps over several lines of its row."""
    rows = [
        [
            [classification.category.value],
            [classification.iccs.code],
            [classification.iccs.label],
            [", ".join(related.code for related in classification.related) or "-"],
            textwrap.wrap(classification.note, _NOTE_WIDTH),
        ]
        for classification in CLASSIFICATION.values()
    ]
    widths = [
        max([len(header)] + [len(line) for row in rows for line in row[i]])
        for i, header in enumerate(_HEADERS)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    lines = [line([header.upper() for header in _HEADERS])]
    for row in rows:
        height = max(len(cell) for cell in row)
        lines += [line([cell[i] if i < len(cell) else "" for cell in row]) for i in range(height)]
        lines.append("")
    lines.append(f"Codes and labels: {ICCS_VERSION}; `kix classify --json` adds each code's hierarchy.")
    return "\n".join(lines)


def classify(
    json_output: Annotated[
        bool, typer.Option("--json", help="The mapping as JSON, as the API serves it")
    ] = False,
) -> None:
    """Map each alert category to its ICCS 1.0 crime class, so counts mean the same in every country."""
    if json_output:
        print_json(as_json())
    else:
        typer.echo(render_table())


def register(cli: typer.Typer) -> None:
    cli.command("classify")(classify)
