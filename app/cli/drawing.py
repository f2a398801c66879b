"""Drawing and exporting what the API returns, for the CLI: a case's link graph (GraphML, PNG) and the
trend tables (plain text, CSV, PNG).

Pure functions over the plain JSON dicts the SDK returns. Figures are drawn with `matplotlib.figure.Figure`
on a `FigureCanvasAgg`, never through pyplot: no window opens, no global backend is switched, and each
call owns its figure, so the functions are safe to call from several threads at once.
"""

import csv
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any, TextIO

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

# --- the link graph -----------------------------------------------------------------------------------

NODE_ATTRIBUTES = ("kind", "label", "owner", "status", "category", "country")
EDGE_ATTRIBUTES = ("type", "author", "actor", "created_at", "confidence")
KIND_ORDER = ("alert", "suspect", "lead")
KIND_COLOURS = {"alert": "#d62728", "suspect": "#1f77b4", "lead": "#2ca02c"}
KIND_MARKERS = {"alert": "o", "suspect": "s", "lead": "D"}
OTHER_COLOUR = "#8c8c8c"  # a kind this module does not know, or a record only an edge names
LINK_COLOUR = "#3a3a3a"
SHARED_COLOUR = "#a0a0a0"
CONFIDENCE_WIDTHS = {"confirmed": 3.0, "probable": 1.8, "possible": 0.8}
UNRATED_WIDTH = 1.2  # a link without a confidence
SHARED_WIDTH = 1.0
SHARED_PREFIX = "shares_"
DERIVED = "derived"
EMPTY_GRAPH_TEXT = "no records you may see in this case"
DETAILED_UP_TO = 60  # above this many nodes: no edge labels, small node labels
LABEL_MAX = 32
LAYOUT_SEED = 20261129
ENERGY_FROM = 500  # networkx's spring layout minimises an energy with scipy from this many nodes


def _scalar(value: Any) -> str | int | float | bool:
    """GraphML holds scalars only: None becomes "", anything else not scalar becomes its text."""
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def graph_of(case_graph: Mapping[str, Any]) -> nx.MultiGraph:
    """The case graph as a networkx MultiGraph: one node per record (kind, label, owner, status, category,
    country), one edge per link (key: the link id; type, author, actor, created_at, confidence), and for each
    shared identifier an edge between every pair of its records (type "shares_<kind>", confidence
    "derived"). A record an edge names but the node list does not is added with empty attributes. None is
    stored as "" so that the graph can be written as GraphML."""
    graph = nx.MultiGraph(case=_scalar(case_graph.get("case")), title=_scalar(case_graph.get("title")))
    for node in case_graph.get("nodes") or []:
        graph.add_node(str(node["id"]), **{name: _scalar(node.get(name)) for name in NODE_ATTRIBUTES})

    def ensure(node_id: str) -> None:
        if node_id not in graph:
            graph.add_node(node_id, **dict.fromkeys(NODE_ATTRIBUTES, ""))

    for edge in case_graph.get("edges") or []:
        source, target = str(edge["source"]), str(edge["target"])
        ensure(source)
        ensure(target)
        graph.add_edge(
            source,
            target,
            key=str(edge["id"]),
            **{name: _scalar(edge.get(name)) for name in EDGE_ATTRIBUTES},
        )
    for index, shared in enumerate(case_graph.get("shared_identifiers") or []):
        kind = str(shared.get("kind") or "identifier")
        records = list(dict.fromkeys(str(record) for record in shared.get("records") or []))
        for source, target in combinations(records, 2):
            ensure(source)
            ensure(target)
            graph.add_edge(
                source,
                target,
                key=f"shared-{index}-{source}-{target}",
                type=f"{SHARED_PREFIX}{kind}",
                author="",
                actor="",
                created_at="",
                confidence=DERIVED,
            )
    return graph


def write_graphml(case_graph: Mapping[str, Any], path: Path) -> None:
    """The case graph as GraphML (for Gephi, i2-style tools): graph attributes "case" and "title", node and
    edge attributes as in `graph_of`, edge ids the link ids."""
    nx.write_graphml(graph_of(case_graph), str(path))


def _new_figure(width_px: int, height_px: int, dpi: int) -> Figure:
    if width_px <= 0 or height_px <= 0 or dpi <= 0:
        raise ValueError("width_px, height_px and dpi must be positive")
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)  # attaches itself as figure.canvas: Agg, whatever the global backend is
    return figure


def _save(figure: Figure, path: Path | str, dpi: int) -> None:
    figure.savefig(path, format="png", dpi=dpi, facecolor="white")  # no bbox_inches: exact pixel size


def _iterations(nodes: int) -> int:
    """Spring layout iterations: networkx's own 50, fewer from 500 nodes up (where it switches to a slower,
    scipy-minimised energy method) to stay within a few seconds."""
    return 50 if nodes < ENERGY_FROM else 30


def _layout(graph: nx.MultiGraph) -> dict[str, np.ndarray]:
    try:
        positions = nx.spring_layout(graph, seed=LAYOUT_SEED, iterations=_iterations(graph.number_of_nodes()))
    except ImportError:  # networkx needs scipy for 500 nodes or more
        positions = nx.circular_layout(graph)
    return {node: np.asarray(xy, dtype=float) for node, xy in positions.items()}


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _edge_paths(
    graph: nx.MultiGraph, positions: Mapping[str, np.ndarray]
) -> list[tuple[dict[str, Any], np.ndarray]]:
    """Each drawable edge with the points of its line: parallel edges between two records bend apart."""
    by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for source, target, data in graph.edges(data=True):
        if source == target:
            continue  # a record linked to itself: kept in the graph, not drawn
        pair = (source, target) if source <= target else (target, source)
        by_pair[pair].append(data)
    steps = np.linspace(0.0, 1.0, 16)[:, None]
    drawn = []
    for (source, target), edges in by_pair.items():
        start, end = positions[source], positions[target]
        middle = (start + end) / 2
        direction = end - start
        perpendicular = np.array([-direction[1], direction[0]])
        for index, data in enumerate(edges):
            bend = (index - (len(edges) - 1) / 2) * 0.25
            control = middle + bend * perpendicular
            points = (1 - steps) ** 2 * start + 2 * (1 - steps) * steps * control + steps**2 * end
            drawn.append((data, points))
    return drawn


def _kinds_in(graph: nx.MultiGraph) -> list[str]:
    present = {str(data.get("kind") or "") for _, data in graph.nodes(data=True)}
    known = [kind for kind in KIND_ORDER if kind in present]
    return known + sorted(present - set(KIND_ORDER))


def draw_graph_png(
    case_graph: Mapping[str, Any], path: Path, *, width_px: int = 1600, height_px: int = 1200, dpi: int = 100
) -> None:
    """The case graph as a PNG of exactly width_px x height_px: a spring layout with a fixed seed, nodes
    coloured (and shaped) by kind with a legend, labelled by their label; links solid with their type as a
    small label, shared identifiers dashed grey; line width by confidence. Above 60 nodes the edge labels
    are left out and the node labels shrink."""
    graph = graph_of(case_graph)
    figure = _new_figure(width_px, height_px, dpi)
    axes = figure.add_axes((0.01, 0.01, 0.98, 0.93))
    axes.set_axis_off()
    title = str(graph.graph.get("title") or "")
    case = str(graph.graph.get("case") or "")
    figure.suptitle(f"{title} (case {case})" if title and case else title or case, fontsize=14)
    if graph.number_of_nodes() == 0:
        axes.text(0.5, 0.5, EMPTY_GRAPH_TEXT, ha="center", va="center", fontsize=16, color="#555555")
        _save(figure, path, dpi)
        return

    detailed = graph.number_of_nodes() <= DETAILED_UP_TO
    positions = _layout(graph)
    links: list[tuple[np.ndarray, float]] = []
    shared: list[np.ndarray] = []
    confidences: set[str] = set()
    for data, points in _edge_paths(graph, positions):
        if str(data.get("type", "")).startswith(SHARED_PREFIX):
            shared.append(points)
            continue
        confidence = str(data.get("confidence") or "")
        confidences.add(confidence)
        links.append((points, CONFIDENCE_WIDTHS.get(confidence, UNRATED_WIDTH)))
        if detailed and data.get("type"):
            x, y = points[len(points) // 2]
            axes.text(
                x,
                y,
                str(data["type"]),
                fontsize=6,
                color="#333333",
                ha="center",
                va="center",
                zorder=2,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
            )
    if shared:
        axes.add_collection(
            LineCollection(shared, colors=SHARED_COLOUR, linewidths=SHARED_WIDTH, linestyles="--", zorder=1)
        )
    if links:
        axes.add_collection(
            LineCollection(
                [points for points, _ in links],
                colors=LINK_COLOUR,
                linewidths=[width for _, width in links],
                zorder=1,
            )
        )

    node_area = 500.0 if detailed else max(25.0, 500.0 * DETAILED_UP_TO / graph.number_of_nodes())
    label_size = 8.0 if detailed else 5.0
    label_offset = math.sqrt(node_area) / 2 + 1
    kinds = _kinds_in(graph)
    for kind in kinds:
        nodes = [node for node, data in graph.nodes(data=True) if str(data.get("kind") or "") == kind]
        xy = np.array([positions[node] for node in nodes])
        axes.scatter(
            xy[:, 0],
            xy[:, 1],
            s=node_area,
            c=KIND_COLOURS.get(kind, OTHER_COLOUR),
            marker=KIND_MARKERS.get(kind, "o"),
            edgecolors="#222222",
            linewidths=0.6,
            zorder=3,
        )
    for node, data in graph.nodes(data=True):
        axes.annotate(
            _short(str(data.get("label") or node[:8])),
            (positions[node][0], positions[node][1]),
            xytext=(0, -label_offset),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=label_size,
            zorder=4,
        )
    xy = np.array(list(positions.values()))
    low, high = xy.min(axis=0), xy.max(axis=0)
    pad = np.maximum((high - low) * 0.08, 0.1)
    axes.set_xlim(low[0] - pad[0], high[0] + pad[0])
    axes.set_ylim(low[1] - pad[1] * 1.5, high[1] + pad[1])

    handles: list[Line2D] = [
        Line2D(
            [],
            [],
            linestyle="",
            marker=KIND_MARKERS.get(kind, "o"),
            markersize=10,
            markerfacecolor=KIND_COLOURS.get(kind, OTHER_COLOUR),
            markeredgecolor="#222222",
            label=kind or "(not visible)",
        )
        for kind in kinds
    ]
    for confidence in [*CONFIDENCE_WIDTHS, ""]:
        if confidence in confidences:
            width = CONFIDENCE_WIDTHS.get(confidence, UNRATED_WIDTH)
            handles.append(
                Line2D([], [], color=LINK_COLOUR, linewidth=width, label=confidence or "link (no confidence)")
            )
    for confidence in sorted(confidences - set(CONFIDENCE_WIDTHS) - {""}):
        handles.append(Line2D([], [], color=LINK_COLOUR, linewidth=UNRATED_WIDTH, label=confidence))
    if shared:
        handles.append(
            Line2D(
                [], [], color=SHARED_COLOUR, linewidth=SHARED_WIDTH, linestyle="--", label="shared identifier"
            )
        )
    axes.legend(handles=handles, loc="upper left", fontsize=9, framealpha=0.9)
    _save(figure, path, dpi)


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
    figure = _new_figure(width_px, height_px, dpi)
    figure.set_layout_engine("constrained")
    tables = list(trends.get("tables") or [])
    since, until = trends.get("since"), trends.get("until")
    period = f" {since or '…'} to {until or '…'}" if since or until else ""
    figure.suptitle(f"KIX trends{period}", fontsize=12)
    if not tables:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(0.5, 0.5, "no trend tables", ha="center", va="center", fontsize=14, color="#555555")
        _save(figure, path, dpi)
        return
    ncols = 1 if len(tables) == 1 else 2 if len(tables) <= 4 else 3
    nrows = math.ceil(len(tables) / ncols)
    grid = figure.subplots(nrows, ncols, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index < len(tables):
            _draw_table(axes, tables[index], trends.get("threshold"))
        else:
            axes.set_axis_off()
    _save(figure, path, dpi)
