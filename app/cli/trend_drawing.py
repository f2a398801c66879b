"""Trend tables for the CLI: as plain text, CSV, and PNG charts.

Pure functions over the plain JSON dicts the SDK returns. Figures are drawn with `matplotlib.figure.Figure`
on a `FigureCanvasAgg`, never through pyplot: no window opens, no global backend is switched, and each
call owns its figure, so the functions are safe to call from several threads at once.
"""

import csv
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from app.cli.figures import new_figure, save_png

# --- trends -------------------------------------------------------------------------------------------

TIME_DIMENSIONS = frozenset({"month", "quarter", "year"})
TOTAL = "total"
CSV_COLUMNS = ("measure", "rows_by", "row", "columns_by", "column", "count", "shown")
_NUMERIC = re.compile(r"[<>]?-?[\d.,]+%?|x|")


def _cells(table: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(str(cell["row"]), str(cell["column"])): cell for cell in table.get("cells") or []}


def _shown(cell: Mapping[str, Any] | None) -> str:
    if not cell:
        return ""
    shown = cell.get("shown")
    if shown is None:
        return "" if cell.get("count") is None else str(cell["count"])
    return str(shown)


def _is_one_dimensional(table: Mapping[str, Any]) -> bool:
    return not table.get("columns_by")


def _row_dimension(table: Mapping[str, Any]) -> str:
    return str(table.get("rows_by") or "row")


def trend_rows(trends: Mapping[str, Any]) -> list[list[str]]:
    """The trend tables as rows of text for printing, an empty row between two tables. Per table: a header
    (measure, the row dimension, one column per column key, total), one row per row key (the shown values
    and the row's total), then the totals line. A one-dimensional table has just the one count column,
    headed "total"."""
    lines: list[list[str]] = []
    for table in trends.get("tables") or []:
        if lines:
            lines.append([])
        measure = str(table.get("measure") or "")
        rows = [str(row) for row in table.get("rows") or []]
        cells = _cells(table)
        total = _shown(table.get("total"))
        if _is_one_dimensional(table):
            columns = [str(column) for column in table.get("columns") or [TOTAL]]
            column = columns[0] if columns else TOTAL
            lines.append(["measure", _row_dimension(table), TOTAL])
            lines += [[measure, row, _shown(cells.get((row, column)))] for row in rows]
            lines.append([measure, TOTAL, total])
            continue
        columns = [str(column) for column in table.get("columns") or []]
        row_totals = {str(item["key"]): item for item in table.get("row_totals") or []}
        column_totals = {str(item["key"]): item for item in table.get("column_totals") or []}
        lines.append(["measure", _row_dimension(table), *columns, TOTAL])
        for row in rows:
            shown = [_shown(cells.get((row, column))) for column in columns]
            lines.append([measure, row, *shown, _shown(row_totals.get(row))])
        lines.append([measure, TOTAL, *[_shown(column_totals.get(column)) for column in columns], total])
    return lines


def _aligned(cells: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    return "  ".join(
        cell.rjust(width) if align else cell.ljust(width)
        for cell, width, align in zip(cells, widths, right, strict=True)
    ).rstrip()


def format_table(rows: list[list[str]]) -> str:
    """Rows of text as an aligned plain-text table. An empty row starts a new table (a blank line) whose
    columns are aligned of their own; the first row of each is its header, underlined. Columns whose
    values all look like counts ("12", "<5", "x", "") are right-aligned."""
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append([str(cell) for cell in row])
        elif blocks[-1]:
            blocks.append([])
    out: list[str] = []
    for block in blocks:
        if not block:
            continue
        if out:
            out.append("")
        count = max(len(row) for row in block)
        padded = [row + [""] * (count - len(row)) for row in block]
        widths = [max(len(row[i]) for row in padded) for i in range(count)]
        body = padded[1:]
        right = [
            bool(body) and all(_NUMERIC.fullmatch(row[i]) for row in body) and any(row[i] for row in body)
            for i in range(count)
        ]
        out.append(_aligned(padded[0], widths, right))
        out.append("  ".join("-" * width for width in widths))
        out += [_aligned(row, widths, right) for row in body]
    return "\n".join(out)


def _csv_line(table: Mapping[str, Any], row: str, column: str, cell: Mapping[str, Any]) -> list[Any]:
    count = cell.get("count")
    return [
        str(table.get("measure") or ""),
        str(table.get("rows_by") or ""),
        row,
        str(table.get("columns_by") or ""),
        column,
        "" if count is None else count,
        _shown(cell),
    ]


def _csv_lines(trends: Mapping[str, Any]) -> Iterable[list[Any]]:
    for table in trends.get("tables") or []:
        for cell in table.get("cells") or []:
            yield _csv_line(table, str(cell["row"]), str(cell["column"]), cell)
        for item in table.get("row_totals") or []:
            yield _csv_line(table, str(item["key"]), TOTAL, item)
        for item in table.get("column_totals") or []:
            if str(item["key"]) != TOTAL:  # the grand total follows
                yield _csv_line(table, TOTAL, str(item["key"]), item)
        if table.get("total"):
            yield _csv_line(table, TOTAL, TOTAL, table["total"])


def write_trends_csv(trends: Mapping[str, Any], path_or_stream: Path | str | TextIO) -> None:
    """The trend tables as CSV: measure, rows_by, row, columns_by, column, count, shown; one line per cell,
    then the row totals (column "total"), the column totals (row "total") and the grand total (both).
    count is empty where the cell is suppressed; shown says how ("<5", "x")."""
    if isinstance(path_or_stream, str | os.PathLike):
        with open(path_or_stream, "w", newline="", encoding="utf-8") as stream:
            _write_csv(trends, stream)
    else:
        _write_csv(trends, path_or_stream)


def _write_csv(trends: Mapping[str, Any], stream: TextIO) -> None:
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_lines(trends))


def _count(cell: Mapping[str, Any] | None) -> float:
    """The count of a cell as a number to plot; NaN (a gap) where it is suppressed or absent."""
    if not cell or cell.get("count") is None:
        return math.nan
    return float(cell["count"])


def _title(table: Mapping[str, Any]) -> str:
    title = f"{table.get('measure') or ''} by {_row_dimension(table)}"
    return f"{title} and {table['columns_by']}" if table.get("columns_by") else title


def _footnote(axes: Axes, text: str) -> None:
    axes.annotate(
        text,
        xy=(0, 0),
        xycoords=("axes fraction", axes.xaxis.label),
        xytext=(0, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        fontstyle="italic",
        color="#555555",
    )


def _category_ticks(axes: Axes, labels: Sequence[str]) -> None:
    fontsize = 8 if len(labels) <= 30 else 6
    if sum(len(label) + 2 for label in labels) <= 60:
        axes.set_xticks(range(len(labels)), labels, fontsize=fontsize)
    elif len(labels) <= 30:
        axes.set_xticks(range(len(labels)), labels, fontsize=fontsize, rotation=30, ha="right")
    else:
        axes.set_xticks(range(len(labels)), labels, fontsize=fontsize, rotation=90)


def _time_ticks(axes: Axes, labels: Sequence[str]) -> None:
    step = max(1, math.ceil(len(labels) / 12))
    ticks = list(range(0, len(labels), step))
    rotation = 0 if len(ticks) <= 8 else 45
    axes.set_xticks(ticks, [labels[i] for i in ticks], rotation=rotation, fontsize=8)


def _draw_table(axes: Axes, table: Mapping[str, Any], threshold: Any) -> None:
    axes.set_title(_title(table), fontsize=10)
    rows = [str(row) for row in table.get("rows") or []]
    columns = [str(column) for column in table.get("columns") or []]
    cells = _cells(table)
    if not rows or not columns:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="#555555")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    hidden = f"<{threshold}" if threshold is not None else "below the threshold"
    suppressed = any(math.isnan(_count(cells.get((row, column)))) for row in rows for column in columns)
    columns_by = table.get("columns_by")
    axes.set_ylabel("count", fontsize=8)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    if columns_by in TIME_DIMENSIONS:
        x = np.arange(len(columns))
        for row in rows:
            y = np.array([_count(cells.get((row, column))) for column in columns])
            axes.plot(x, y, marker="o", markersize=3, linewidth=1.4, label=row)
        axes.set_ylim(bottom=0)
        _time_ticks(axes, columns)
        axes.set_xlabel(str(columns_by), fontsize=8)
        if len(rows) > 1:
            axes.legend(fontsize=7, ncol=max(1, math.ceil(len(rows) / 12)), title=_row_dimension(table))
        note = f"gaps: suppressed cells ({hidden} or hidden to protect them)"
    else:
        x = np.arange(len(rows))
        series = [columns[0]] if _is_one_dimensional(table) else columns
        width = 0.8 / len(series)
        for index, column in enumerate(series):
            offsets = x - 0.4 + width * (index + 0.5)
            heights = [_count(cells.get((row, column))) for row in rows]
            kept = [
                (offset, height)
                for offset, height in zip(offsets, heights, strict=True)
                if not math.isnan(height)
            ]
            axes.bar(
                [offset for offset, _ in kept],
                [height for _, height in kept],
                width=width,
                label=column if len(series) > 1 else None,
                color=None if len(series) > 1 else "#4c72b0",
            )
            for offset, row, height in zip(offsets, rows, heights, strict=True):
                if math.isnan(height):
                    shown = _shown(cells.get((row, column)))
                    axes.text(offset, 0, shown, ha="center", va="bottom", fontsize=6, color="#777777")
        _category_ticks(axes, rows)
        axes.set_xlabel(_row_dimension(table), fontsize=8)
        if len(series) > 1:
            axes.legend(fontsize=7, ncol=max(1, math.ceil(len(series) / 12)), title=str(columns_by))
        note = f"missing bars: suppressed cells ({hidden} or hidden to protect them)"
    if suppressed:
        _footnote(axes, note)


def draw_trends_png(
    trends: Mapping[str, Any], path: Path, *, width_px: int = 1400, height_px: int = 800, dpi: int = 100
) -> None:
    """The trend tables as a PNG of exactly width_px x height_px, one subplot per table: lines over time
    (one per row key; suppressed cells are gaps) when the columns are months, quarters or years, bars by
    row key otherwise (grouped by column key for a two-dimensional table; suppressed bars are not drawn
    but their shown value is). A footnote says what the gaps are."""
    figure = new_figure(width_px, height_px, dpi)
    figure.set_layout_engine("constrained")
    tables = list(trends.get("tables") or [])
    since, until = trends.get("since"), trends.get("until")
    period = f" {since or '…'} to {until or '…'}" if since or until else ""
    figure.suptitle(f"KIX trends{period}", fontsize=12)
    if not tables:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "no trend tables", ha="center", va="center", fontsize=14, color="#555555")
        save_png(figure, path, dpi)
        return
    ncols = 1 if len(tables) == 1 else 2 if len(tables) <= 4 else 3
    nrows = math.ceil(len(tables) / ncols)
    grid = figure.subplots(nrows, ncols, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index < len(tables):
            _draw_table(axes, tables[index], trends.get("threshold"))
        else:
            axes.set_axis_off()
    save_png(figure, path, dpi)
