"""The wheel carries everything a deployment needs: installed into a fresh virtual environment, away from
this checkout, `kix admin migrate` brings an empty database to the latest schema (the top-level
migrations/ folder ships inside the wheel as app.migrations)."""

import importlib.metadata
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from app.models import Base

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.live
def test_the_wheel_migrates_a_database_from_a_fresh_venv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        timeout=300,
    )
    [wheel] = wheels.glob("kix-*.whl")
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    # Dependencies come from this environment (no network), through a path file: this environment's own
    # path files (the checkout's editable install among them) are not read, so `app` is the wheel's.
    fresh_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(fresh_site, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=120
    )
    workdir = tmp_path / "empty"
    workdir.mkdir()
    env = {"PATH": "/usr/bin:/bin", "KIX_DATABASE_URL": f"sqlite:///{workdir}/kix.db"}
    where = subprocess.run(
        [str(python), "-c", "import app; print(app.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(fresh_site), where.stdout + where.stderr
    done = subprocess.run(
        [str(fresh / "bin" / "kix"), "admin", "migrate"], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    engine = create_engine(f"sqlite:///{workdir}/kix.db")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {table.name for table in Base.metadata.sorted_tables} <= tables


def test_the_event_loops_database_driver_is_a_dependency() -> None:
    """PostgreSQL's hot path is awaited on the event loop (app.db_loop), which SQLAlchemy does through
    greenlet: a dependency of its asyncio extra, not of SQLAlchemy itself. The test extras bring greenlet
    too (playwright needs it), which would hide its absence from a deployment's install."""
    requires = [line.replace(" ", "") for line in importlib.metadata.requires("kix") or []]
    assert any(line.startswith("sqlalchemy[asyncio]") for line in requires), requires
