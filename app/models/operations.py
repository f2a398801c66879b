"""State the nodes share through the database so that none keeps its own: scheduler leases and
token buckets (match budgets; rate limits later)."""

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class JobLease(Base):
    """Which node runs a periodic job, until when, and when it last ran: a node runs a job only while it
    holds the lease, so with any number of workers and hosts each job runs once per period."""

    __tablename__ = "job_leases"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]


class TokenBucket(Base):
    """A budget that refills continuously: `tokens` as of `updated_at`, up to the bucket's capacity."""

    __tablename__ = "token_buckets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
