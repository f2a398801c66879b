"""Start-up check of the master keys against the database, and master key rotation (re-wrapping every
data key while the service keeps serving: each row is re-wrapped in its own short transaction)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.crypto.envelope import IntegrityError, MasterKeys, unwrap, wrap
from app.crypto.storage_keys import StorageKeys
from app.db import Database
from app.models import CooperationRequest, CrisisRoom, IdempotencyKey, JointCase, Record, StorageKeyCheck

_CHECK_OWNER = "storage_key_checks"
_CHECK_VALUE = b"kix master key check, version "


class WrongMasterKey(RuntimeError):
    """The loaded master key is not the one the database's data keys are wrapped under."""


def verify_storage_keys(db: Database, keys: StorageKeys) -> None:
    """Refuse (raise) when a loaded master key version does not open its check value in the database;
    record a check value for versions seen for the first time."""
    try:
        with db.transaction() as session:
            stored = {row.version: row.sample for row in session.scalars(select(StorageKeyCheck))}
            for version in keys.master.versions:
                if version not in stored:
                    only_this = MasterKeys(versions={version: keys.master.versions[version]}, current=version)
                    sample = wrap(only_this, _CHECK_VALUE + str(version).encode(), _CHECK_OWNER)
                    session.add(StorageKeyCheck(version=version, sample=sample))
                    continue
                try:
                    opened = unwrap(keys.master, stored[version], _CHECK_OWNER)
                except IntegrityError as exc:
                    raise WrongMasterKey(
                        f"master key version {version} is not the one this database uses"
                    ) from exc
                if opened != _CHECK_VALUE + str(version).encode():
                    raise WrongMasterKey(f"master key version {version} check value differs")
    except (OperationalError, ProgrammingError):
        return  # not migrated yet: nothing is encrypted, and /readyz reports the schema


# Every table holding a data key, with the owner string its key is bound to (what `Vault.new_data_key` was
# given). A table missing here would become unreadable once the old master key is retired.
WRAPPED_TABLES: list[tuple[Any, Callable[[Any], str]]] = [
    (Record, lambda row: f"records|{row.id}"),
    (IdempotencyKey, lambda row: f"idempotency_keys|{row.agency_id}|{row.key}"),
    (CooperationRequest, lambda row: f"cooperation_requests|{row.id}"),
    (CrisisRoom, lambda row: f"crisis_rooms|{row.id}"),
    (JointCase, lambda row: f"joint_cases|{row.id}"),
]


def rewrap_all(db: Database, keys: StorageKeys, progress: Callable[[int], None] | None = None) -> int:
    """Re-wrap every data key not yet under the current master key, 500 rows per transaction, so
    readers and writers carry on meanwhile (a row is readable under its old or its new wrapping, as
    long as both master key versions are loaded). Returns how many were re-wrapped."""
    current_prefix = f"k{keys.master.current}."
    total = 0
    for model, owner_of in WRAPPED_TABLES:
        while True:
            with db.transaction() as session:
                stale = model.data_key.is_not(None) & ~model.data_key.startswith(current_prefix)
                rows = list(session.scalars(select(model).where(stale).limit(500)))
                for row in rows:
                    owner = owner_of(row)
                    row.data_key = wrap(keys.master, unwrap(keys.master, row.data_key, owner), owner)
            total += len(rows)
            if progress is not None:
                progress(total)
            if not rows:
                break
    return total


def rows_under(db: Database, version: int) -> int:
    """How many data keys are still wrapped under master key `version`."""
    prefix = f"k{version}."
    with db.sessions() as session:
        return sum(
            len(
                list(
                    session.scalars(select(model.data_key).where(model.data_key.startswith(prefix)).limit(1))
                )
            )
            for model, _owner in WRAPPED_TABLES
        )
