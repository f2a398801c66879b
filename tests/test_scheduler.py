"""The scheduler: each job runs once per period whatever the number of nodes, a crashed holder's lease
lapses, and `kix worker` runs the same jobs alone."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from app.cli import cli
from app.clock import ShiftedClock
from app.config import Settings
from app.db import Database
from app.models import AccessRequest, JobLease
from app.scheduler import JOBS, LEASE, Scheduler
from tests.conftest import Member
from tests.records_data import rules, suspect


def test_each_job_runs_once_per_period_across_nodes(
    settings: Settings, db: Database, clock: ShiftedClock
) -> None:
    first, second = Scheduler(db, settings, clock), Scheduler(db, settings, clock)
    assert set(first.run_due()) == {job.name for job in JOBS}
    assert second.run_due() == {}  # nothing is due again yet
    clock.advance(timedelta(seconds=31))
    assert set(second.run_due()) == {"nonce-sweep"}  # the only job with so short a period
    assert first.run_due() == {}
    clock.advance(timedelta(minutes=10))
    assert set(first.run_due()) == {job.name for job in JOBS if job.every <= timedelta(minutes=10)}
    clock.advance(timedelta(hours=1))
    assert set(second.run_due()) == {job.name for job in JOBS}  # the hourly retention run too


def test_a_held_lease_keeps_other_nodes_off_until_it_lapses(
    settings: Settings, db: Database, clock: ShiftedClock
) -> None:
    crashed = Scheduler(db, settings, clock, holder="crashed-node")
    with db.transaction() as session:  # as if "crashed-node" took every lease and died running the jobs
        for job in JOBS:
            session.add(JobLease(job=job.name, holder=crashed.holder, lease_until=clock.now() + LEASE))
    other = Scheduler(db, settings, clock)
    assert other.run_due() == {}
    clock.advance(LEASE + timedelta(seconds=1))
    assert set(other.run_due()) == {job.name for job in JOBS}
    with db.sessions() as session:
        holders = set(session.scalars(select(JobLease.holder)))
        assert holders == {other.holder}


def test_the_deadline_job_stamps_overdue_requests_once(
    enrol: Any, settings: Settings, db: Database, clock: ShiftedClock
) -> None:
    owner: Member = enrol("jo-psd")
    querier: Member = enrol("de-bka")
    owner.client.create_record("suspects", suspect(rules=rules(mode="owner_only", discoverable=True)))
    hit = querier.client.match({"documents": ["N1234567"]})["hits"][0]
    querier.client.request_access(hit["hit_id"], "same passport")
    scheduler = Scheduler(db, settings, clock)
    assert scheduler.run_due()["workflow-deadlines"] == 0
    clock.advance(timedelta(hours=49))
    assert scheduler.run_due()["workflow-deadlines"] == 1
    with db.sessions() as session:
        stamped = session.scalar(select(AccessRequest.overdue_at))
    assert stamped is not None
    clock.advance(timedelta(minutes=2))
    assert scheduler.run_due()["workflow-deadlines"] == 0  # stamped once
    with db.transaction() as session:  # a decision clears the deadline
        session.execute(update(AccessRequest).values(state="refused", due_at=None, overdue_at=None))
    assert querier.client.access_requests()["items"][0]["overdue"] is False


@pytest.mark.usefixtures("db")
def test_kix_worker_once(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIX_KEYS_DIR", str(settings.keys_dir))
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    expected = {job.name for job in JOBS} | {"audit-sequencer"}
    assert {line.split(":")[0] for line in result.stderr.splitlines()} == expected
    again = CliRunner().invoke(cli, ["worker", "--once"])
    assert (again.exit_code, again.stderr) == (0, "")  # nothing due a moment later
