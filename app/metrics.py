"""Prometheus metrics. Served by `kix serve --metrics-port` on a separate listener (default 127.0.0.1),
so the API itself keeps only three unsigned routes. With several workers, prometheus-client's
multiprocess mode aggregates them (PROMETHEUS_MULTIPROC_DIR, set by `kix serve`)."""

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from app.db import Database
from app.models import AuditEntry, AuditTreeHead, Change, WebhookDelivery

REQUESTS = Counter(
    "kix_requests_total", "Requests through the secure channel, by method and status", ["method", "status"]
)
REFUSALS = Counter("kix_refusals_total", "Requests refused, by problem type", ["reason"])
DURATION = Histogram(
    "kix_request_duration_seconds",
    "Time from request to sealed response, signature checks and encryption included",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


def record(method: str, status: int, seconds: float, refusal: str | None) -> None:
    REQUESTS.labels(method=method, status=str(status)).inc()
    DURATION.observe(seconds)
    if refusal is not None:
        REFUSALS.labels(reason=refusal).inc()


class StateCollector:
    """Gauges read from the database at each scrape (the state every worker shares): the audit log's
    signed length, entries waiting to be numbered and the signed head's age; changes waiting to be
    fanned out into events; webhook deliveries pending. Rate-limit refusals are
    kix_refusals_total{reason="rate-limited"}."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        latest = select(AuditTreeHead.size, AuditTreeHead.signed_at).order_by(AuditTreeHead.size.desc())
        waiting = select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))
        changes = select(func.count()).select_from(Change)
        deliveries = (
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.state == "pending")
        )
        with self.db.sessions() as session:
            head = session.execute(latest.limit(1)).first()
            counts = [int(session.scalar(query) or 0) for query in (waiting, changes, deliveries)]
        size = int(head.size) if head else 0
        age = (datetime.now(UTC) - head.signed_at).total_seconds() if head else float("nan")
        gauges = [
            ("kix_audit_entries", "Audit entries in the latest signed tree head", size),
            ("kix_audit_entries_pending", "Audit entries not yet numbered", counts[0]),
            ("kix_audit_head_age_seconds", "Age of the latest signed tree head", age),
            ("kix_outbox_changes_pending", "Changes not yet fanned out into events", counts[1]),
            ("kix_webhook_deliveries_pending", "Webhook deliveries waiting or retrying", counts[2]),
        ]
        for name, documentation, value in gauges:
            yield GaugeMetricFamily(name, documentation, value=value)
