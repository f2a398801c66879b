"""A worker's long-lived objects are kept out of the garbage collector's full walks (app/collector.py):
what it loads at start, and the Japanese name dictionary when the first name in kanji loads it. Each
check runs in a fresh interpreter, since this one has loaded and frozen whatever its tests needed."""

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import gc, json
import app.asgi
started = gc.get_freeze_count()
from app.services.matching.japanese import japanese_reading
japanese_reading("渡辺大輔")
print(json.dumps({"started": started, "read": gc.get_freeze_count(), "walked": len(gc.get_objects())}))
"""


def test_a_worker_freezes_what_it_loads_and_the_name_dictionary_when_it_loads(tmp_path: Path) -> None:
    env = {
        "KIX_ENV": "development",
        "KIX_KEYS_DIR": str(tmp_path / "keys"),
        "KIX_DATABASE_URL": f"sqlite:///{tmp_path / 'kix.db'}",
        "KIX_LOG_LEVEL": "ERROR",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["started"] > 100_000  # the app's imports: frozen when the worker starts
    assert counts["read"] - counts["started"] > 200_000  # the dictionary: frozen once loaded
    assert counts["walked"] < 10_000  # what a full collection still walks
