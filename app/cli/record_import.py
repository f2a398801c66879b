"""`kix <kind> import FILE.jsonl`: backfill records from a file of one JSON record per line, in batches
of up to 500 (POST /v1/<kind>/batch), with a progress bar; invalid lines are reported with their problem."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from app.cli.common import UsageProblem
from app.client import KixClient
from app.schemas.batches import MAX_BATCH


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line."""
    try:
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UsageProblem(f"{path}:{number} is not JSON: {exc.msg}") from exc
                if not isinstance(record, dict):
                    raise UsageProblem(f"{path}:{number} is not a JSON object")
                yield number, record
    except OSError as exc:
        raise UsageProblem(f"{path}: {exc.strerror}") from exc


def _batches(path: Path, size: int) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for item in _lines(path):
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_records(
    client: KixClient,
    collection: str,
    path: Path,
    *,
    batch_size: int,
    atomic: bool,
    idempotency_prefix: str | None,
) -> dict[str, Any]:
    """Send the file batch by batch; the summary: created, invalid (line, problem) and the ids created."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise UsageProblem(f"--batch-size must be 1 to {MAX_BATCH}")
    total = sum(1 for _ in _lines(path))  # read once first: the bar needs the length, bad lines stop early
    summary: dict[str, Any] = {"created": 0, "invalid": [], "ids": []}
    with typer.progressbar(
        length=total, label=f"importing {collection}", file=typer.get_text_stream("stderr")
    ) as bar:
        for number, batch in enumerate(_batches(path, batch_size)):
            key = f"{idempotency_prefix}-{number}" if idempotency_prefix else None
            answer = client.create_records(
                collection, [record for _line, record in batch], atomic=atomic, idempotency_key=key
            )
            for result in answer["results"]:
                line = batch[result["index"]][0]
                if result["status"] == "created":
                    summary["created"] += 1
                    summary["ids"].append(result["id"])
                else:
                    summary["invalid"].append({"line": line, "problem": result["problem"]})
            bar.update(len(batch))
    return summary
