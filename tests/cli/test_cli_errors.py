"""Finding 16: the command line answers every expected failure with one line saying what to do and an
exit status (2: configuration or usage, 1: a refused or failed request); a traceback only with --debug."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.crypto.keys import KeyPair, write_key_file
from tests.live import free_port

runner = CliRunner()


@pytest.fixture
def empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("KIX_DATABASE_URL", "KIX_KEYS_DIR", "KIX_ENV", "KIX_KEY_FILE", "KIX_SERVER_KEYS", "KIX_URL"):
        monkeypatch.delenv(name, raising=False)
    write_key_file(tmp_path / "agency.key.json", KeyPair.generate())
    return tmp_path


def _one_line(args: list[str], status: int, *expected: str) -> str:
    result = runner.invoke(cli, args)
    assert result.exit_code == status, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kix: ")
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def test_finding_16_server_jwks_before_the_server_has_keys(empty_folder: Path) -> None:
    _one_line(["keys", "server-jwks"], 2, "no server key", "kix keys init-server")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "not a JWKS"),
        ("{not json", "not a JWKS"),
        ('{"keys": []}', "needs an Ed25519"),
        ("[1]", "object"),
    ],
)
def test_finding_16_empty_or_malformed_server_keys(empty_folder: Path, content: str, expected: str) -> None:
    (empty_folder / "server.jwks.json").write_text(content)
    args = ["whoami", "--key", "agency.key.json", "--server-keys", "server.jwks.json"]
    _one_line(args, 2, expected, "kix keys server-jwks")


def test_finding_16_missing_and_malformed_key_files(empty_folder: Path) -> None:
    (empty_folder / "server.jwks.json").write_text('{"keys": []}')
    _one_line(
        ["whoami", "--key", "nowhere.json", "--server-keys", "server.jwks.json"], 2, "--key nowhere.json"
    )
    (empty_folder / "broken.key.json").write_text("{}")
    _one_line(
        ["whoami", "--key", "broken.key.json", "--server-keys", "server.jwks.json"], 2, "kix keys generate"
    )


def test_finding_16_an_unreachable_server(empty_folder: Path) -> None:
    server = KeyPair.generate()
    (empty_folder / "server.jwks.json").write_text(json.dumps(server.public_jwks()))
    url = f"http://127.0.0.1:{free_port()}"
    args = ["whoami", "--url", url, "--key", "agency.key.json", "--server-keys", "server.jwks.json"]
    _one_line(args, 1, "can not reach KIX", "--url")
    # With --debug, the traceback is shown for whoever needs it.
    debug = runner.invoke(cli, ["--debug", *args])
    assert debug.exit_code != 0
    assert debug.exception is not None


def test_finding_16_serve_in_production_without_keys(
    empty_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIX_ENV", "production")
    _one_line(["serve"], 2, "no server key", "kix keys init-server")


def test_finding_16_usage_errors(empty_folder: Path) -> None:
    _one_line(["serve", "--tls-cert", "cert.pem"], 2, "--tls-cert and --tls-key go together")
    (empty_folder / "server.jwks.json").write_text(json.dumps(KeyPair.generate().public_jwks()))
    args = ["match", "--wallet", "nochain", "--key", "agency.key.json", "--server-keys", "server.jwks.json"]
    _one_line(args, 2, "--wallet takes CHAIN:ADDRESS")
    (empty_folder / "alert.json").write_text("{oops")
    args = [
        "alerts",
        "create",
        "--file",
        "alert.json",
        "--key",
        "agency.key.json",
        "--server-keys",
        "server.jwks.json",
    ]
    _one_line(args, 2, "--file alert.json is not JSON")
