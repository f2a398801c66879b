"""JSON log lines on stderr: one object per line, with the request id where there is one."""

import json
import logging
import sys
from datetime import UTC, datetime

from app.db import unavailable_reason

# Attributes every LogRecord has; anything else was passed through `extra=` and is emitted as a field.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("kix")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def log_failure(logger: logging.Logger, what: str, exc: BaseException, **extra: object) -> None:
    """A background task's failure: while the database is unavailable, one warning line per attempt (the
    task pauses and resumes by itself when it returns; a stack each second would bury the logs); any other
    failure with its stack."""
    reason = unavailable_reason(exc)
    if reason is None:
        logger.error(what, exc_info=exc, extra=extra)
    else:
        logger.warning("%s: the database is unavailable, retrying (%s)", what, reason, extra=extra)
