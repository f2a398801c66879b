"""The `kix` command line: key files, bootstrap, OpenAPI export, and admin calls through the SDK."""

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.crypto.keys import load_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from app.openapi_export import export_openapi
from tests.live import kix_server

runner = CliRunner()


def test_keys_generate_writes_a_private_file_and_prints_public_jwks(tmp_path: Path) -> None:
    out = tmp_path / "agency.key.json"
    result = runner.invoke(cli, ["keys", "generate", "--out", str(out), "--kid", "de-bka-2026-11"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    key = load_key_file(out)
    public = json.loads(result.stdout)
    assert public["kid"] == key.kid == "de-bka-2026-11"
    assert (public["sign"], public["encrypt"]) == (key.sign_jwk, key.encrypt_jwk)
    assert "d" not in public["sign"]
    assert "d" not in public["encrypt"]
    file = json.loads(out.read_text())
    assert (file["sign"]["crv"], file["encrypt"]["crv"]) == ("Ed25519", "X25519")
    assert file["sign"]["d"]
    again = runner.invoke(cli, ["keys", "generate", "--out", str(out)])
    assert again.exit_code == 1
    assert load_key_file(out).kid == "de-bka-2026-11"  # not overwritten


def test_bootstrap_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIX_DATABASE_URL", f"sqlite:///{tmp_path}/kix.db")
    first = runner.invoke(cli, ["admin", "bootstrap", "--key-out", str(tmp_path / "admin.key.json")])
    assert first.exit_code == 0, first.output
    assert stat.S_IMODE((tmp_path / "admin.key.json").stat().st_mode) == 0o600
    second = runner.invoke(cli, ["admin", "bootstrap", "--key-out", str(tmp_path / "again.key.json")])
    assert second.exit_code == 1
    assert not (tmp_path / "again.key.json").exists()


def test_openapi_export(tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    assert runner.invoke(cli, ["openapi", "export", "--out", str(out)]).exit_code == 0
    assert out.read_text() == export_openapi()


@pytest.mark.live
def test_admin_commands_against_a_running_server(settings: Settings, admin_key: Any, tmp_path: Path) -> None:
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    jwks_file = tmp_path / "server.jwks.json"
    jwks_file.write_text(jwks_json(server_key))
    admin_file = tmp_path / "admin.key.json"  # written by the admin_key fixture's bootstrap
    agency_key = tmp_path / "bka.key.json"
    public_file = tmp_path / "bka.public.json"

    with kix_server(settings.database_url, settings.keys_dir) as url:
        common = ["--url", url, "--key", str(admin_file), "--server-keys", str(jwks_file)]

        def kix(*args: str) -> Any:
            result = runner.invoke(cli, [*args, *common])
            assert result.exit_code == 0, result.output
            return json.loads(result.stdout)

        created = kix(
            *["admin", "agencies", "create", "--id", "de-bka", "--country", "DE", "--name", "BKA"],
            *["--kind", "police", "--scopes", "alerts:read,alerts:write", "--jurisdictions", "DE"],
            *["--contact-name", "Desk", "--contact-phone", "+4961155", "--contact-email", "desk@example.org"],
        )
        assert created["id"] == "de-bka"
        assert [a["id"] for a in kix("admin", "agencies", "list")["items"]] == ["de-bka", "kix-operator"]

        generated = runner.invoke(cli, ["keys", "generate", "--out", str(agency_key)])
        public_file.write_text(generated.stdout)
        registered = kix(
            "admin",
            "keys",
            "register",
            "de-bka",
            "--public-keys",
            str(public_file),
            "--scopes",
            "alerts:read",
        )
        assert registered["scopes"] == ["alerts:read"]

        agency_common = ["--url", url, "--key", str(agency_key), "--server-keys", str(jwks_file)]
        me = runner.invoke(cli, ["whoami", *agency_common])
        assert json.loads(me.stdout)["agency_id"] == "de-bka"

        assert kix("admin", "groups", "create", "ransom-cell", "--name", "Ransom", "--members", "de-bka")[
            "members"
        ] == ["de-bka"]
        assert kix("admin", "agencies", "suspend", "de-bka")["status"] == "suspended"
        refused = runner.invoke(cli, ["whoami", *agency_common])
        assert refused.exit_code == 1
        assert "agency-suspended" in refused.stderr
        kix("admin", "agencies", "reactivate", "de-bka")
        kix("admin", "keys", "revoke", registered["kid"])
        assert "key-revoked" in runner.invoke(cli, ["whoami", *agency_common]).stderr


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, [*prefix, name])
    return found


def test_every_command_has_help() -> None:
    from typer.main import get_command

    commands = _commands(get_command(cli), [])
    assert len(commands) > 40
    for words in commands:
        result = runner.invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)


@pytest.mark.live
def test_feed_and_webhook_commands(settings: Settings, enrol: Any, tmp_path: Path) -> None:
    from app.crypto.keys import write_key_file
    from tests.records_data import alert

    member = enrol("de-bka")
    writer = enrol("it-dcsa")
    writer.client.create_record("alerts", alert())
    key_file = tmp_path / "bka.key.json"
    write_key_file(key_file, member.key)
    server_key, _ = load_server_keys(settings.keys_dir, create=True)
    jwks_file = tmp_path / "server.jwks.json"
    jwks_file.write_text(jwks_json(server_key))
    with kix_server(settings.database_url, settings.keys_dir) as url:
        common = ["--url", url, "--key", str(key_file), "--server-keys", str(jwks_file)]
        fed = runner.invoke(cli, ["feed", *common])
        assert fed.exit_code == 0, fed.output
        [event] = [json.loads(line) for line in fed.stdout.splitlines()]
        assert event["type"] == "record.created"
        assert fed.stderr.startswith("cursor: ")
        resumed = runner.invoke(cli, ["feed", "--after", fed.stderr.split()[1], *common])
        assert resumed.stdout == ""
        added = json.loads(
            runner.invoke(cli, ["webhooks", "add", "https://localhost:9/hook", *common]).stdout
        )
        listed = json.loads(runner.invoke(cli, ["webhooks", "list", *common]).stdout)
        assert [item["id"] for item in listed["items"]] == [added["id"]]
        tested = runner.invoke(cli, ["webhooks", "test", added["id"], *common])
        assert json.loads(tested.stdout)["type"] == "webhook.test"
        assert runner.invoke(cli, ["webhooks", "deliveries", added["id"], *common]).exit_code == 0
        removed = runner.invoke(cli, ["webhooks", "remove", added["id"], *common])
        assert json.loads(removed.stdout)["status"] == "removed"
