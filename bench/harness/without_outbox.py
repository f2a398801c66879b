"""`kix serve` with the outbox's write on create a no-op (no change row, no NOTIFY), for the events
benchmark's baseline only (`python -m bench.harness.without_outbox serve ...`): the same server, the same
routes, no events. Never a way to run KIX."""

from typing import Any

from app.cli import main
from app.services.records import creation


def _no_event(*_args: Any, **_kwargs: Any) -> None:
    return None


creation.emit_records_created = _no_event

if __name__ == "__main__":
    main()
