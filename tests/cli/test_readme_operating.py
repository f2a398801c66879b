"""The README's "Operating it" sequence works as written, from an empty folder, in production mode: the
commands are read from README.md and run one by one (`kix` being this checkout's)."""

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import free_port

README = Path(__file__).resolve().parents[2] / "README.md"


def operating_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Operating it") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    joined = block.group(1).replace("\\\n", " ")
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"kix serve exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("kix serve did not become ready")


@pytest.mark.live
def test_the_readme_operating_sequence_from_an_empty_folder(tmp_path: Path) -> None:
    port = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIX_")} | {
        "KIX_ENV": "production",
        "KIX_LOG_LEVEL": "WARNING",
    }
    kix = [sys.executable, "-m", "app.cli"]
    servers: list[subprocess.Popen[bytes]] = []
    outputs: list[str] = []
    try:
        for line in operating_commands():
            line = line.replace("8000", port)
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = value
                continue
            background = line.endswith("&")
            words = shlex.split(line.rstrip("&"))
            target = None
            if ">" in words:
                target = tmp_path / words[words.index(">") + 1]
                words = words[: words.index(">")]
            assert words[0] == "kix", line
            if background:
                server = subprocess.Popen(
                    kix + words[1:], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
                servers.append(server)
                _wait_ready(env["KIX_URL"], server)
                continue
            done = subprocess.run(kix + words[1:], cwd=tmp_path, env=env, capture_output=True, timeout=60)
            assert done.returncode == 0, (line, done.stderr.decode())
            assert b"Traceback" not in done.stderr
            if target is not None:
                target.write_bytes(done.stdout)
            outputs.append(done.stdout.decode())
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=15)
    me = json.loads(outputs[-1])
    assert (me["agency_id"], sorted(me["scopes"])) == ("fr-ocrb", ["alerts:read", "alerts:write"])
    for name in ("kix.db", "kix-keys/server.key.json", "kix-keys/storage.keys.json", "admin.key.json"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0, name
