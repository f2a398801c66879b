"""Analysts' record commands against a running server: JSON by default, a table with --table."""

import json
from pathlib import Path
from typing import Any

import pytest
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
def test_record_commands(settings: Settings, enrol: Any, tmp_path: Path) -> None:
    member: Member = enrol("it-dcsa")
    key_file = tmp_path / "dcsa.key.json"
    write_key_file(key_file, member.key)
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    jwks_file = tmp_path / "server.jwks.json"
    jwks_file.write_text(jwks_json(server_key))
    (tmp_path / "alert.json").write_text(json.dumps(alert()))
    (tmp_path / "lead.json").write_text(json.dumps(lead()))
    (tmp_path / "change.json").write_text(json.dumps({"urgency": "low"}))

    with kix_server(settings.database_url, settings.keys_dir) as url:
        common = [
            "--url",
            url,
            "--key",
            str(key_file),
            "--server-keys",
            str(jwks_file),
            "--actor",
            "analyst-7",
        ]

        def kix(*args: str) -> Any:
            result = runner.invoke(cli, [*args, *common])
            assert result.exit_code == 0, result.output
            return result.stdout

        created = json.loads(
            kix("alerts", "create", "--file", str(tmp_path / "alert.json"), "--idempotency-key", "a1")
        )
        again = json.loads(
            kix("alerts", "create", "--file", str(tmp_path / "alert.json"), "--idempotency-key", "a1")
        )
        assert again["id"] == created["id"]
        json.loads(kix("leads", "create", "--file", str(tmp_path / "lead.json")))
        table = kix("alerts", "list", "--table")
        header, row = table.strip().splitlines()
        assert header.split() == ["ID", "OWNER", "STATUS", "URGENCY", "CATEGORY", "COUNTRY", "OCCURRED"]
        assert row.split()[:6] == [created["id"], "it-dcsa", "active", "critical", "ransom_extortion", "IT"]
        assert json.loads(kix("alerts", "get", created["id"]))["victim"]["name"] == "Giulia Ferraro"
        updated = json.loads(
            kix(
                "alerts",
                "update",
                created["id"],
                "--file",
                str(tmp_path / "change.json"),
                "--if-match",
                created["etag"],
            )
        )
        assert (updated["urgency"], updated["version"]) == ("low", 2)
        stale = runner.invoke(
            cli,
            [
                "alerts",
                "update",
                created["id"],
                "--file",
                str(tmp_path / "change.json"),
                "--if-match",
                '"v1"',
                *common,
            ],
        )
        assert stale.exit_code == 1
        assert "precondition-failed" in stale.stderr
        withdrawn = json.loads(kix("alerts", "withdraw", created["id"], "--reason", "duplicate"))
        assert withdrawn["status"] == "withdrawn"
        history = json.loads(kix("alerts", "revisions", created["id"]))["items"]
        assert [r["version"] for r in history] == [1, 2, 3]
        log = json.loads(kix("alerts", "access-log", created["id"]))["items"]
        routes = {(item["method"], item["route"]) for item in log}
        assert {("POST", "/v1/alerts"), ("PATCH", "/v1/alerts/{record_id}")} <= routes
        kept = json.loads(kix("alerts", "retention", created["id"]))
        assert (kept["record_id"], kept["extensions"]) == (created["id"], [])
        assert json.loads(kix("leads", "count"))["count"] == 1
        lead_id = json.loads(kix("leads", "list"))["items"][0]["id"]
        assert json.loads(kix("leads", "close", lead_id, "--if-match", '"v1"'))["status"] == "closed"
        assert "DE" in kix("leads", "list", "--table")
        (tmp_path / "suspect.json").write_text(json.dumps(suspect()))
        suspect_id = json.loads(kix("suspects", "create", "--file", str(tmp_path / "suspect.json")))["id"]
        answer = json.loads(
            kix("match", "--name", "Мухаммад Аль-Рашид", "--account", "DE89 3704 0044 0532 0130 00")
        )
        assert {ref["record_id"] for ref in answer["references"]} >= {suspect_id}
        assert answer["remaining_budget"] == 118  # one unit per value tested
        # A backfill from JSON Lines, two records a call: the bad line is reported with its problem.
        lines = [json.dumps(alert()), json.dumps(alert(urgency="loud")), "", json.dumps(alert())]
        (tmp_path / "backfill.jsonl").write_text("\n".join(lines) + "\n")
        command = ["alerts", "import", str(tmp_path / "backfill.jsonl"), "--batch-size", "2", *common]
        imported = runner.invoke(cli, [*command, "--idempotency-prefix", "backfill"])
        assert imported.exit_code == 1, imported.output
        summary = json.loads(imported.stdout)
        assert (summary["created"], [bad["line"] for bad in summary["invalid"]]) == (2, [2])
        assert "importing alerts" in imported.stderr
        before = json.loads(kix("alerts", "count"))["count"]
        rerun = runner.invoke(cli, [*command, "--idempotency-prefix", "backfill"])
        assert json.loads(rerun.stdout)["ids"] == summary["ids"]  # the same keys: nothing created twice
        assert json.loads(kix("alerts", "count"))["count"] == before
