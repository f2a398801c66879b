"""`kix serve` with the audit log's two writes made no-ops, for the audit benchmark's baseline only
(`python -m bench.harness.unaudited serve ...`): the same server, the same routes, no entries. Never a
way to run KIX."""

from typing import Any

from app.api import channel, deps
from app.cli import main


def _no_entry(*_args: Any) -> None:
    return None


channel.append_entry = _no_entry  # type: ignore[assignment]
deps.append_entry = _no_entry  # type: ignore[assignment]

if __name__ == "__main__":
    main()
