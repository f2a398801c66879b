"""What a record kind is, declared once per kind (alert.py, suspect.py, lead.py): its wire schemas, scopes,
lifecycle, list columns, sensitive fields, index terms, restricted blocks, follow-up deadline and table
columns. Generic code reads the spec and never asks which kind it holds. A new kind is one new module here
(registered below) plus a migration if it needs new columns."""

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from app.models import Record
from app.schemas.common import InputModel, Scope
from app.schemas.records import RecordEnvelope, RecordKind

Body = dict[str, Any]
Columns = dict[str, Any]
IndexTerms = set[tuple[str, str]]


@dataclass(frozen=True)
class RestrictedBlock:
    """A part of a record that only some recipients may read: the agencies the owner names in
    `recipients_field`, holding `scope`. Others learn only that it is withheld (`withheld_flag`)."""

    field: str
    recipients_field: str
    scope: Scope
    withheld_flag: str


@dataclass(frozen=True)
class KindSpec:
    kind: RecordKind
    path: str  # the collection: /v1/<path>, `kix <path>`
    create: type[InputModel]
    update: type[InputModel]
    read: type[RecordEnvelope]
    page: type[BaseModel]
    read_scope: Scope
    write_scope: Scope
    statuses: type[StrEnum]
    initial_status: str
    transitions: Mapping[str, frozenset[str]]
    default_review: timedelta
    # The body's values that lists filter and sort on, as Record columns.
    columns: Callable[[Body], Columns]
    # Fields stored as ciphertext under the record's data key.
    sensitive_fields: tuple[str, ...]
    # (term, normalised value) pairs the record can be found by in hit/no-hit matching.
    index_terms: Callable[[Body], IndexTerms]
    # Names to score fuzzy name queries against (kinds without names return []), and the fields they
    # are read from (only those are decrypted to score).
    names: Callable[[Body], list[str]]
    # How long the owner has to answer a request about a record (access, onward sharing).
    follow_up_deadline: Callable[[Record], timedelta]
    # `kix <path> list --table`: (heading, value of a record as the API returns it).
    table_columns: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...]
    categories: type[StrEnum] | None = None  # the vocabulary of the `category` column, if any
    urgency: bool = False  # whether records carry urgency (filter, sort=urgency)
    restricted: RestrictedBlock | None = None
    sorts: tuple[str, ...] = ("recent",)
    name_fields: tuple[str, ...] = ()
    # The latest an owner may keep a record to, counted from its creation (extensions included).
    longest_review: timedelta = timedelta(days=5 * 365)
    # A short label from the record's columns (a link graph's node); kinds with names use the first name.
    label: Callable[[Record], str] = lambda record: " ".join(
        part for part in (record.kind, record.category, record.country, record.status) if part
    )


def lifecycle(**edges: str) -> dict[str, frozenset[str]]:
    """Allowed status changes: `active="released rescued"` lets an active record become either."""
    return {state: frozenset(targets.split()) for state, targets in edges.items()}


def no_names(_body: Body) -> list[str]:
    return []


def _registry() -> dict[RecordKind, KindSpec]:
    """Every module of this package declares one kind as SPEC: adding a module adds the kind (its
    routes, CLI commands, disclosure, indexing and matching follow from the spec)."""
    names = [found.name for found in pkgutil.iter_modules(__path__)]
    specs: list[KindSpec] = [importlib.import_module(f"{__name__}.{name}").SPEC for name in names]
    return {spec.kind: spec for spec in sorted(specs, key=lambda spec: list(RecordKind).index(spec.kind))}


KINDS: dict[RecordKind, KindSpec] = _registry()


def spec_of(kind: str) -> KindSpec:
    return KINDS[RecordKind(kind)]


ALERTS = KINDS[RecordKind.ALERT]
SUSPECTS = KINDS[RecordKind.SUSPECT]
LEADS = KINDS[RecordKind.LEAD]
