"""The container image as the README promises it: production by default, configured from the environment
with settings KIX knows and the README documents, no secret baked in, a non-root user, and an entrypoint
that serves on the port it exposes and health-checks. (No container runtime here: the Dockerfile is read
and checked against the code, so neither can change without the other.)"""

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def _all(name: str) -> list[str]:
    return [arguments for instruction, arguments in _instructions() if instruction == name]


def _environment() -> dict[str, str]:
    pairs = [shlex.split(arguments) for arguments in _all("ENV")]
    return dict(pair.split("=", 1) for words in pairs for pair in words)


def test_the_image_runs_as_a_system_user_that_is_not_root() -> None:
    users = _all("USER")
    assert users, "no USER: the image would run as root"
    assert users[-1] not in ("root", "0")
    assert any("useradd --system" in run and users[-1] in run for run in _all("RUN"))


def test_every_variable_the_image_sets_is_a_setting_the_readme_documents() -> None:
    environment = _environment()
    kix = {name: value for name, value in environment.items() if name.startswith("KIX_")}
    assert kix, "the image configures nothing"
    for name in kix:
        assert name.removeprefix("KIX_").lower() in Settings.model_fields, f"{name} is not a setting"
        assert f"`{name}`" in README, f"the README does not document {name}"


def test_the_image_is_production_by_default_with_no_secret_in_it() -> None:
    environment = _environment()
    assert environment["KIX_ENV"] == "production"
    assert not any(re.search(r"SECRET|PASSWORD|TOKEN|MASTER", name) for name in environment), (
        "a secret is baked into the image"
    )
    assert "@" not in environment.get("KIX_DATABASE_URL", ""), "database credentials are baked into the image"
    assert not any(
        "COPY" == instruction and ".key.json" in arguments for instruction, arguments in _instructions()
    )


def test_the_entrypoint_serves_on_the_port_the_image_exposes_and_health_checks() -> None:
    (entrypoint,) = _all("ENTRYPOINT")
    command = json.loads(entrypoint)
    assert command[:2] == ["kix", "serve"]
    options = dict(zip(command[2::2], command[3::2], strict=True))
    assert options["--host"] == "0.0.0.0"  # noqa: S104 - inside the container, behind its published port
    (exposed,) = _all("EXPOSE")
    assert options["--port"] == exposed
    (health,) = _all("HEALTHCHECK")
    assert f"127.0.0.1:{exposed}/healthz" in health
    help_text = CliRunner().invoke(cli, ["serve", "--help"], terminal_width=200).output
    for option in options:
        assert option in help_text, f"kix serve has no {option}"


def test_the_image_holds_what_the_package_and_its_migrations_need() -> None:
    copied = " ".join(_all("COPY"))
    for needed in ("pyproject.toml", "setup.py", "alembic.ini", "app", "migrations"):
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", copied), f"the image does not copy {needed}"
    assert any("pip install --no-cache-dir ." in run for run in _all("RUN"))
    volume_dir = _environment()["KIX_KEYS_DIR"]
    assert any("chmod 700" in run and volume_dir in run for run in _all("RUN"))
    assert f"{volume_dir}`" in README, "the README does not say where to mount the keys"
