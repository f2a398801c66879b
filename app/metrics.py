"""Prometheus metrics. Served by `kix serve --metrics-port` on a separate listener (default 127.0.0.1),
so the API itself keeps only three unsigned routes. With several workers, prometheus-client's
multiprocess mode aggregates them (PROMETHEUS_MULTIPROC_DIR, set by `kix serve`)."""

from prometheus_client import Counter, Histogram

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
