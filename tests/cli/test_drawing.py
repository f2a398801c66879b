"""app.cli.graph_drawing and trend_drawing: the case graph as GraphML and PNG, the trend tables as
text, CSV and PNG. Real files in tmp_path, read back with networkx, PIL and csv."""

import csv
import io
import random
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from app.cli.graph_drawing import EMPTY_GRAPH_TEXT, KIND_COLOURS, draw_graph_png, graph_of, write_graphml
from app.cli.trend_drawing import draw_trends_png, format_table, trend_rows, write_trends_csv

WHEN = "2026-11-29T10:00:00Z"


def node(node_id: str, kind: str, label: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": kind,
        "label": label,
        "owner": extra.get("owner", "mx-fge"),
        "status": "active",
        "category": extra.get("category"),
        "country": extra.get("country"),
    }


def link(link_id: str, source: str, target: str, kind: str, confidence: str | None) -> dict[str, Any]:
    return {
        "id": link_id,
        "source": source,
        "target": target,
        "type": kind,
        "author": "co-gaula",
        "actor": "Luisa Ortiz",
        "created_at": WHEN,
        "confidence": confidence,
    }


CASE: dict[str, Any] = {
    "case": "0193aaaa-0000-7000-8000-000000000001",
    "title": "Operación Norte",
    "nodes": [
        node("a1", "alert", "Alert: girl 12, Monterrey", category="ransom_extortion", country="MX"),
        node("s1", "suspect", "J. Pérez", country="MX"),
        node("s2", "suspect", "El Flaco", owner="co-gaula", country="CO"),
        node("l1", "lead", "Phone +52 81…", owner="co-gaula"),
        node("a2", "alert", "Alert: businessman", owner="co-gaula", category="express", country="CO"),
    ],
    "edges": [
        link("e1", "s1", "a1", "suspect_in", "confirmed"),
        link("e2", "s1", "s2", "associate_of", "probable"),
        link("e3", "s1", "s2", "same_phone", "possible"),
        link("e4", "l1", "a2", "related", None),
    ],
    "shared_identifiers": [{"kind": "phone", "records": ["s2", "l1", "a2"]}],
}
EMPTY_CASE: dict[str, Any] = {
    "case": "c0",
    "title": "Nothing",
    "nodes": [],
    "edges": [],
    "shared_identifiers": [],
}


def cell(row: str, column: str, count: int | None, shown: str | None = None) -> dict[str, Any]:
    return {"row": row, "column": column, "count": count, "shown": shown or str(count)}


def total(key: str, count: int | None, shown: str | None = None) -> dict[str, Any]:
    return {"key": key, "count": count, "shown": shown or str(count)}


BY_QUARTER: dict[str, Any] = {
    "measure": "alerts",
    "rows_by": "country",
    "columns_by": "quarter",
    "rows": ["CO", "MX"],
    "columns": ["2026-Q1", "2026-Q2", "2026-Q3"],
    "cells": [
        cell("CO", "2026-Q1", 12),
        cell("CO", "2026-Q2", 20),
        cell("CO", "2026-Q3", 8),
        cell("MX", "2026-Q1", None, "<5"),
        cell("MX", "2026-Q2", None, "x"),
        cell("MX", "2026-Q3", 31),
    ],
    "row_totals": [total("CO", 40), total("MX", 35)],
    "column_totals": [total("2026-Q1", None, "x"), total("2026-Q2", 23), total("2026-Q3", 39)],
    "total": total("total", 75),
}
BY_CATEGORY: dict[str, Any] = {
    "measure": "alerts",
    "rows_by": "category",
    "columns_by": None,
    "rows": ["express", "ransom_extortion", "virtual"],
    "columns": ["total"],
    "cells": [
        cell("express", "total", None, "<5"),
        cell("ransom_extortion", "total", 40),
        cell("virtual", "total", 17),
    ],
    "row_totals": [],
    "column_totals": [],
    "total": total("total", 60),
}
BY_BAND: dict[str, Any] = {
    "measure": "suspects",
    "rows_by": "country",
    "columns_by": "band",
    "rows": ["CO", "MX"],
    "columns": ["0-17", "18-29", "30+"],
    "cells": [
        cell("CO", "0-17", 7),
        cell("CO", "18-29", 20),
        cell("CO", "30+", None, "x"),
        cell("MX", "0-17", 12),
        cell("MX", "18-29", None, "<5"),
        cell("MX", "30+", 20),
    ],
    "row_totals": [total("CO", 30), total("MX", 35)],
    "column_totals": [total("0-17", 19), total("18-29", 23), total("30+", 23)],
    "total": total("total", 65),
}
TRENDS: dict[str, Any] = {
    "since": "2016-01",
    "until": "2026-11",
    "threshold": 5,
    "tables": [BY_QUARTER, BY_CATEGORY, BY_BAND],
}


def open_png(path: Path, width: int, height: int) -> Image.Image:
    image = Image.open(path)
    assert image.format == "PNG"
    assert image.size == (width, height)
    assert image.mode in ("RGB", "RGBA")
    return image.convert("RGB")


def colours_of(image: Image.Image) -> set[tuple[int, int, int]]:
    found = set()
    for _, colour in image.getcolors(maxcolors=image.width * image.height) or []:
        assert isinstance(colour, tuple)
        found.add((colour[0], colour[1], colour[2]))
    return found


def rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = (round(channel * 255) for channel in to_rgb(colour))
    return red, green, blue


def random_case(count: int, links: int, seed: int = 7) -> dict[str, Any]:
    chance = random.Random(seed)  # noqa: S311 - test data, not secrets
    kinds = ["alert", "suspect", "lead"]
    nodes = [node(f"n{i}", kinds[i % 3], f"record {i}") for i in range(count)]
    edges = [
        link(
            f"e{i}",
            f"n{chance.randrange(count)}",
            f"n{chance.randrange(count)}",
            chance.choice(["same_person", "associate_of", "paid_to", "related"]),
            chance.choice(["confirmed", "probable", "possible", None]),
        )
        for i in range(links)
    ]
    shared = [{"kind": "wallet", "records": [f"n{i}" for i in range(0, count, count // 10)]}]
    return {"case": "big", "title": "Big", "nodes": nodes, "edges": edges, "shared_identifiers": shared}


# --- the graph ----------------------------------------------------------------------------------------


def test_graph_of_has_records_links_and_shared_identifier_pairs() -> None:
    graph = graph_of(CASE)

    assert isinstance(graph, nx.MultiGraph)
    assert graph.number_of_nodes() == 5
    assert graph.number_of_edges() == 4 + 3  # four links, three pairs of the shared phone
    assert graph.nodes["a1"] == {
        "kind": "alert",
        "label": "Alert: girl 12, Monterrey",
        "owner": "mx-fge",
        "status": "active",
        "category": "ransom_extortion",
        "country": "MX",
    }
    assert graph.nodes["l1"]["country"] == ""  # None is stored as ""
    assert graph.edges["s1", "a1", "e1"] == {
        "type": "suspect_in",
        "author": "co-gaula",
        "actor": "Luisa Ortiz",
        "created_at": WHEN,
        "confidence": "confirmed",
    }
    assert graph.edges["l1", "a2", "e4"]["confidence"] == ""
    assert graph.number_of_edges("s1", "s2") == 2  # parallel links stay two edges
    shared = [(u, v) for u, v, data in graph.edges(data=True) if data["type"] == "shares_phone"]
    assert {frozenset(pair) for pair in shared} == {
        frozenset({"s2", "l1"}),
        frozenset({"s2", "a2"}),
        frozenset({"l1", "a2"}),
    }
    assert all(
        data["confidence"] == "derived"
        for _, _, data in graph.edges(data=True)
        if data["type"] == "shares_phone"
    )
    assert graph.graph == {"case": CASE["case"], "title": "Operación Norte"}


def test_graph_of_an_edge_to_a_record_not_listed_adds_it_blank() -> None:
    case = dict(CASE, edges=[link("e9", "a1", "hidden", "related", None)], shared_identifiers=[])

    graph = graph_of(case)

    assert graph.nodes["hidden"] == dict.fromkeys(
        ("kind", "label", "owner", "status", "category", "country"), ""
    )


def test_graphml_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "case.graphml"

    write_graphml(CASE, path)

    graph = nx.read_graphml(path, force_multigraph=True)
    assert graph.number_of_nodes() == 5
    assert graph.number_of_edges() == 7
    assert graph.graph["case"] == CASE["case"]
    assert graph.graph["title"] == "Operación Norte"
    assert graph.nodes["s1"]["kind"] == "suspect"
    assert graph.nodes["s1"]["label"] == "J. Pérez"
    assert graph.nodes["l1"]["category"] == ""
    edges = {key: data for _, _, key, data in graph.edges(keys=True, data=True)}
    assert edges["e2"]["type"] == "associate_of"
    assert edges["e2"]["confidence"] == "probable"
    assert edges["e2"]["actor"] == "Luisa Ortiz"
    assert edges["e2"]["created_at"] == WHEN
    assert edges["e4"]["confidence"] == ""
    derived = [data for data in edges.values() if data["type"] == "shares_phone"]
    assert len(derived) == 3
    assert {data["confidence"] for data in derived} == {"derived"}


def test_graph_png_has_the_size_and_the_kind_colours(tmp_path: Path) -> None:
    path = tmp_path / "case.png"

    draw_graph_png(CASE, path, width_px=1001, height_px=733, dpi=96)

    colours = colours_of(open_png(path, 1001, 733))
    assert len(colours) > 2
    for kind in ("alert", "suspect", "lead"):
        assert rgb(KIND_COLOURS[kind]) in colours, kind


def test_graph_png_default_size(tmp_path: Path) -> None:
    path = tmp_path / "case.png"

    draw_graph_png(CASE, path)

    open_png(path, 1600, 1200)


def test_graph_png_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "1.png", tmp_path / "2.png"

    draw_graph_png(CASE, first, width_px=640, height_px=480)
    draw_graph_png(CASE, second, width_px=640, height_px=480)

    assert Image.open(first).tobytes() == Image.open(second).tobytes()


def test_empty_graph_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"

    draw_graph_png(EMPTY_CASE, path, width_px=800, height_px=600)

    assert len(colours_of(open_png(path, 800, 600))) > 2  # the text is drawn
    assert EMPTY_GRAPH_TEXT == "no records you may see in this case"
    write_graphml(EMPTY_CASE, tmp_path / "empty.graphml")
    assert nx.read_graphml(tmp_path / "empty.graphml").number_of_nodes() == 0


def test_a_500_node_graph_draws(tmp_path: Path) -> None:
    path = tmp_path / "big.png"

    draw_graph_png(random_case(500, 700), path)

    colours = colours_of(open_png(path, 1600, 1200))
    for kind in ("alert", "suspect", "lead"):
        assert rgb(KIND_COLOURS[kind]) in colours, kind


def test_a_medium_graph_draws_without_edge_labels(tmp_path: Path) -> None:
    path = tmp_path / "medium.png"

    draw_graph_png(random_case(80, 100), path, width_px=900, height_px=700)

    open_png(path, 900, 700)


def test_graph_png_of_one_pixel(tmp_path: Path) -> None:
    draw_graph_png(CASE, tmp_path / "tiny.png", width_px=1, height_px=1)

    open_png(tmp_path / "tiny.png", 1, 1)


def test_graph_png_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        draw_graph_png(CASE, tmp_path / "none.png", width_px=0, height_px=100)


# --- trends -------------------------------------------------------------------------------------------


def test_trend_rows_of_a_two_dimensional_table() -> None:
    rows = trend_rows({"tables": [BY_QUARTER]})

    assert rows == [
        ["measure", "country", "2026-Q1", "2026-Q2", "2026-Q3", "total"],
        ["alerts", "CO", "12", "20", "8", "40"],
        ["alerts", "MX", "<5", "x", "31", "35"],
        ["alerts", "total", "x", "23", "39", "75"],
    ]


def test_trend_rows_of_a_one_dimensional_table() -> None:
    rows = trend_rows({"tables": [BY_CATEGORY]})

    assert rows == [
        ["measure", "category", "total"],
        ["alerts", "express", "<5"],
        ["alerts", "ransom_extortion", "40"],
        ["alerts", "virtual", "17"],
        ["alerts", "total", "60"],
    ]


def test_trend_rows_separates_tables_and_format_table_aligns_them() -> None:
    rows = trend_rows(TRENDS)

    assert rows.count([]) == 2
    text = format_table(rows)
    blocks = text.split("\n\n")
    assert len(blocks) == 3
    first = blocks[0].splitlines()
    assert first[0].split() == ["measure", "country", "2026-Q1", "2026-Q2", "2026-Q3", "total"]
    assert set(first[1]) <= {"-", " "}
    assert first[3].split() == ["alerts", "MX", "<5", "x", "31", "35"]
    assert len({len(line) for line in first}) == 1  # aligned: counts are right-aligned to one width
    assert first[2].endswith("  40")
    second = blocks[1].splitlines()
    assert second[2] == "alerts".ljust(7) + "  " + "express".ljust(16) + "  " + "<5".rjust(5)
    assert second[3] == "alerts   ransom_extortion     40"


def test_format_table_of_nothing() -> None:
    assert format_table([]) == ""
    assert trend_rows({"tables": []}) == []


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_trends_csv_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "trends.csv"

    write_trends_csv(TRENDS, path)

    lines = read_csv(path.read_text(encoding="utf-8"))
    assert list(lines[0]) == ["measure", "rows_by", "row", "columns_by", "column", "count", "shown"]
    quarter = [line for line in lines if line["columns_by"] == "quarter"]
    assert len(quarter) == 6 + 2 + 3 + 1  # cells, row totals, column totals, the grand total
    assert {
        "measure": "alerts",
        "rows_by": "country",
        "row": "CO",
        "columns_by": "quarter",
    }.items() <= quarter[0].items()
    by_key = {(line["row"], line["column"]): line for line in quarter}
    assert by_key["CO", "2026-Q1"]["count"] == "12"
    assert by_key["MX", "2026-Q1"] == {**by_key["MX", "2026-Q1"], "count": "", "shown": "<5"}
    assert by_key["MX", "2026-Q2"]["count"] == ""
    assert by_key["MX", "2026-Q2"]["shown"] == "x"
    assert by_key["CO", "total"]["count"] == "40"
    assert by_key["total", "2026-Q1"] == {**by_key["total", "2026-Q1"], "count": "", "shown": "x"}
    assert by_key["total", "total"]["count"] == "75"
    category = [line for line in lines if line["rows_by"] == "category"]
    assert [(line["row"], line["column"], line["count"], line["shown"]) for line in category] == [
        ("express", "total", "", "<5"),
        ("ransom_extortion", "total", "40", "40"),
        ("virtual", "total", "17", "17"),
        ("total", "total", "60", "60"),
    ]
    assert {line["columns_by"] for line in category} == {""}
    for line in lines:
        assert (line["count"] == "") == (not line["shown"].isdigit())


def test_trends_csv_to_a_stream() -> None:
    stream = io.StringIO()

    write_trends_csv({"tables": [BY_CATEGORY]}, stream)

    assert len(read_csv(stream.getvalue())) == 4


@pytest.mark.parametrize(
    "trends",
    [
        pytest.param(TRENDS, id="three tables"),
        pytest.param({"threshold": 5, "tables": [BY_QUARTER]}, id="lines over time"),
        pytest.param({"threshold": 5, "tables": [BY_CATEGORY]}, id="bars"),
        pytest.param({"threshold": 5, "tables": [BY_BAND]}, id="grouped bars"),
    ],
)
def test_trends_png(tmp_path: Path, trends: Mapping[str, Any]) -> None:
    path = tmp_path / "trends.png"

    draw_trends_png(trends, path, width_px=1203, height_px=777)

    assert len(colours_of(open_png(path, 1203, 777))) > 2


def test_trends_png_default_size(tmp_path: Path) -> None:
    path = tmp_path / "trends.png"

    draw_trends_png(TRENDS, path)

    open_png(path, 1400, 800)


@pytest.mark.parametrize(
    "trends",
    [
        pytest.param({"tables": []}, id="no tables"),
        pytest.param(
            {"tables": [dict(BY_QUARTER, rows=[], columns=[], cells=[], row_totals=[], column_totals=[])]},
            id="an empty table",
        ),
        pytest.param(
            {"tables": [dict(BY_QUARTER, cells=[cell("CO", "2026-Q1", None, "x")])]}, id="all suppressed"
        ),
    ],
)
def test_empty_trends_draw(tmp_path: Path, trends: Mapping[str, Any]) -> None:
    path = tmp_path / "empty.png"

    draw_trends_png(trends, path, width_px=640, height_px=480)

    assert len(colours_of(open_png(path, 640, 480))) > 2
    write_trends_csv(trends, tmp_path / "empty.csv")
    format_table(trend_rows(trends))


def test_drawing_libraries_load_only_when_a_command_draws() -> None:
    """`kix serve` with one worker serves in the CLI's own process: the 55 MB of matplotlib and networkx
    must not come with every `kix` command (the worker's memory goal is 200 MB)."""
    probe = "import sys, app.cli, app.asgi; print(sorted({'matplotlib', 'networkx'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
