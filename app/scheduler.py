"""Periodic jobs (nonce sweep, idempotency expiry, workflow deadlines; deliveries and retention next), in
one place. Every API worker runs the loop by default, or `kix worker` alone; whichever node holds a
job's lease row runs it, so with any number of workers and hosts each job runs once per period, on
SQLite and PostgreSQL alike. A job must be idempotent: a lease can lapse while its holder still runs."""

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import Clock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.db import Database
from app.logs import log_failure
from app.models import JobLease
from app.services import idempotency
from app.services.audit.log import sequence
from app.services.identity.authentication import sweep_nonces
from app.services.records import retention
from app.services.workflows.deadlines import warn_deadlines, warn_freeze_lapses

log = logging.getLogger("kix.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Database, Settings, datetime], int]  # returns how many things it did


def _sweep_nonces(db: Database, _settings: Settings, now: datetime) -> int:
    return sweep_nonces(db, now)


def _expire_idempotency(db: Database, _settings: Settings, now: datetime) -> int:
    with db.transaction() as session:
        return idempotency.sweep(session, now)


def _workflow_deadlines(db: Database, _settings: Settings, now: datetime) -> int:
    """Warn the parties of requests whose deadline approaches or passed (once each)."""
    with db.transaction() as session:
        return warn_deadlines(session, now)


def _freeze_lapses(db: Database, _settings: Settings, now: datetime) -> int:
    with db.transaction() as session:
        return warn_freeze_lapses(session, now)


def _retention(db: Database, settings: Settings, now: datetime) -> int:
    """Warn owners of records nearing their review date, hide those past it and the grace period, and
    purge those past the further period."""
    return retention.run_job(db, settings, now).actions


JOBS = (
    Job("nonce-sweep", timedelta(seconds=30), _sweep_nonces),
    Job("idempotency-expiry", timedelta(minutes=10), _expire_idempotency),
    Job("workflow-deadlines", timedelta(minutes=1), _workflow_deadlines),
    Job("freeze-lapses", timedelta(minutes=10), _freeze_lapses),
    Job("retention", timedelta(hours=1), _retention),
)


def jobs_with_keys(server_key: KeyPair) -> tuple[Job, ...]:
    """Every job, including those that sign with the server key: numbering new audit entries into the
    Merkle tree and signing its new head (on this schedule, and whenever an agency asks for the head)."""

    def sequence_audit(db: Database, _settings: Settings, now: datetime) -> int:
        return sequence(db, server_key, now)

    return (*JOBS, Job("audit-sequencer", timedelta(seconds=10), sequence_audit))


LEASE = timedelta(minutes=5)  # longer than any job takes; a crashed holder's lease lapses after it


class Scheduler:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        jobs: tuple[Job, ...] = JOBS,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.jobs = jobs
        self.holder = holder or uuid.uuid4().hex

    def _take_lease(self, job: Job, now: datetime) -> bool:
        """Take the job's lease if it is due and nobody else holds it: one conditional UPDATE, which only
        one node can win."""
        with self.db.transaction() as session:
            dialect_insert = (
                postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            )
            session.execute(dialect_insert(JobLease).values(job=job.name).on_conflict_do_nothing())
            taken = session.execute(
                update(JobLease)
                .where(
                    JobLease.job == job.name,
                    or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
                    or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - job.every),
                )
                .values(holder=self.holder, lease_until=now + LEASE)
            )
            return bool(taken.rowcount)  # type: ignore[attr-defined]

    def _release(self, job: Job, now: datetime) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(JobLease)
                .where(JobLease.job == job.name, JobLease.holder == self.holder)
                .values(lease_until=None, last_run_at=now)
            )

    def run_due(self) -> dict[str, int]:
        """Run every job that is due and whose lease this node wins; what each did."""
        done: dict[str, int] = {}
        for job in self.jobs:
            now = self.clock.now()
            if not self._take_lease(job, now):
                continue
            try:
                done[job.name] = job.run(self.db, self.settings, now)
            except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
                log_failure(log, "job failed", exc, job=job.name)
            finally:
                self._release(job, now)
        return done

    def run_forever(self, stop: threading.Event, tick_seconds: float = 5.0) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception as exc:  # noqa: BLE001 - the loop outlives any failure, an outage included
                log_failure(log, "scheduler tick failed", exc)
            stop.wait(tick_seconds)
