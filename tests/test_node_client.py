"""A client in another language, written from docs/integration.md with maintained npm packages
(examples/node: jose, http-message-signatures), works end to end against `kix serve`: it echoes, creates
and reads back an alert (retrying with its Idempotency-Key), pages its feed to an event about another
agency's record, and verifies a webhook delivery, refusing its replay."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.crypto.keys import write_key_file
from app.crypto.keystore import jwks_json, load_server_keys
from tests.conftest import Member
from tests.live import kix_server
from tests.records_data import alert

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node.js and npm"),
]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "node"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example with its packages installed from its lock file (a copy per test process,
    so parallel workers never install into one directory at once)."""
    copy = tmp_path_factory.mktemp("node-example")
    for name in ("package.json", "package-lock.json", "kix-client.mjs", "check.mjs"):
        shutil.copy(EXAMPLE / name, copy / name)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=copy, check=True, timeout=300)
    return copy


def test_a_node_client_written_from_the_guide_works_end_to_end(
    settings: Settings, enrol: Any, tmp_path: Path, example: Path
) -> None:
    node: Member = enrol("it-dcsa")
    shared = enrol("de-bka").client.create_record("alerts", alert())  # all members: it-dcsa is told
    write_key_file(tmp_path / "agency.key.json", node.key)
    server_key = load_server_keys(settings.keys_dir, create=False)[0]
    (tmp_path / "server.jwks.json").write_text(jwks_json(server_key), encoding="utf-8")
    body = alert(victim={"name": "Amaia Etxeberria", "sex": "female", "age": 29, "nationality": "ES"})
    (tmp_path / "alert.json").write_text(json.dumps(body), encoding="utf-8")
    with kix_server(settings.database_url, settings.keys_dir) as url:
        run = subprocess.run(
            ["node", "check.mjs"],
            cwd=example,
            env={
                "PATH": os.environ["PATH"],
                "KIX_URL": url,
                "KIX_KEY_FILE": str(tmp_path / "agency.key.json"),
                "KIX_SERVER_JWKS": str(tmp_path / "server.jwks.json"),
                "KIX_ALERT_FILE": str(tmp_path / "alert.json"),
                "KIX_EXPECT_RECORD": shared["id"],
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["agency"] == "it-dcsa"
    assert report["feed_event"]
    assert report["webhook_event"]
    made = node.client.get_record("alerts", report["created"])
    assert (made["owner"], made["victim"]["name"]) == ("it-dcsa", "Amaia Etxeberria")
