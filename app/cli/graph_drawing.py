"""A case's link graph for the CLI: as networkx graph, GraphML, and PNG.

Pure functions over the plain JSON dicts the SDK returns. Figures are drawn with `matplotlib.figure.Figure`
on a `FigureCanvasAgg`, never through pyplot: no window opens, no global backend is switched, and each
call owns its figure, so the functions are safe to call from several threads at once.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from app.cli.figures import new_figure, save_png

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
    figure = new_figure(width_px, height_px, dpi)
    axes = figure.add_axes((0.01, 0.01, 0.98, 0.93))
    axes.set_axis_off()
    title = str(graph.graph.get("title") or "")
    case = str(graph.graph.get("case") or "")
    figure.suptitle(f"{title} (case {case})" if title and case else title or case, fontsize=14)
    if graph.number_of_nodes() == 0:
        axes.text(0.5, 0.5, EMPTY_GRAPH_TEXT, ha="center", va="center", fontsize=16, color="#555555")
        save_png(figure, path, dpi)
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
    save_png(figure, path, dpi)
