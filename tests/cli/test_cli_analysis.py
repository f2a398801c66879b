"""Analysts' analysis commands against a running server: a case's graph drawn to PNG and exported as
GraphML, trends as a table, a chart and CSV, the practices library, and the ICCS mapping."""

import csv
import json
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import pytest
from PIL import Image
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.crypto.keys import write_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from tests.conftest import Member
from tests.live import kix_server
from tests.records_data import alert, lead, suspect

runner = CliRunner()


@pytest.mark.live
def test_analysis_commands(settings: Settings, enrol: Any, tmp_path: Path) -> None:
    member: Member = enrol("it-dcsa")
    sdk = member.client
    case = sdk.open_case("Operation Graph")
    kidnapping = sdk.create_record("alerts", alert())["id"]
    person = sdk.create_record("suspects", suspect())["id"]
    money = sdk.create_record("leads", lead())["id"]
    for record_id in (kidnapping, person, money):
        sdk.add_to_case(case["id"], record_id)
    sdk.link_in_case(case["id"], person, kidnapping, "suspect_in", "confirmed")
    sdk.link_in_case(case["id"], money, kidnapping, "proceeds_of", "possible")
    for _ in range(6):
        sdk.create_record("alerts", alert())
    key_file = tmp_path / "dcsa.key.json"
    write_key_file(key_file, member.key)
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    jwks_file = tmp_path / "server.jwks.json"
    jwks_file.write_text(jwks_json(server_key))

    with kix_server(settings.database_url, settings.keys_dir) as url:
        common = ["--url", url, "--key", str(key_file), "--server-keys", str(jwks_file)]

        def kix(*args: str) -> str:
            result = runner.invoke(cli, [*args, *common])
            assert result.exit_code == 0, result.output
            return result.stdout

        png, graphml = tmp_path / "graph.png", tmp_path / "graph.graphml"
        said = kix(
            "cases", "graph", case["id"], "--png", str(png), "--graphml", str(graphml), "--size", "900x700"
        )
        assert "drew 3 records and 2 links" in said
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert image.size == (900, 700)
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
            assert len(colours) > 50  # drawn, not blank
        exported = nx.read_graphml(graphml, force_multigraph=True)
        assert exported.number_of_nodes() == 3
        assert {data["type"] for _a, _b, data in exported.edges(data=True)} == {"suspect_in", "proceeds_of"}
        listed = json.loads(kix("cases", "list"))["items"]
        assert [item["title"] for item in listed] == ["Operation Graph"]

        chart, table = tmp_path / "trends.png", tmp_path / "trends.csv"
        printed = kix("stats", "trends", "--by", "country", "--plot", str(chart), "--csv", str(table))
        assert "IT" in printed
        with Image.open(chart) as image:
            assert image.size == (1400, 800)
        with table.open(newline="") as stream:
            rows = list(csv.DictReader(stream))
        assert {"measure": "alerts", "row": "IT", "count": "7"}.items() <= rows[0].items()
        wrong = runner.invoke(cli, ["stats", "trends", "--by", "planet", *common])
        assert wrong.exit_code == 1
        assert "no dimension 'planet'" in wrong.stderr

        note = tmp_path / "practice.json"
        note.write_text(
            json.dumps(
                {
                    "title": "Crisis cells with a negotiator on call",
                    "country": "IT",
                    "themes": ["crisis_response"],
                    "summary": "A negotiator joins the crisis cell within the hour.",
                    "lessons": "Early negotiation shortened captivity.",
                }
            )
        )
        published = json.loads(kix("practices", "publish", "--file", str(note)))
        found = json.loads(kix("practices", "search", "negotiators"))["items"]
        assert [item["id"] for item in found] == [published["id"]]

    mapping = runner.invoke(cli, ["classify", "--json"])  # needs no server
    assert mapping.exit_code == 0
    assert {entry["category"] for entry in json.loads(mapping.stdout)} >= {"ransom_extortion", "virtual"}
