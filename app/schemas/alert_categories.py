"""The kinds of kidnapping an alert reports (its own module: the ICCS classification and the alert schemas
both need it)."""

from enum import StrEnum


class AlertCategory(StrEnum):
    RANSOM_EXTORTION = "ransom_extortion"
    EXPRESS = "express"
    VIRTUAL = "virtual"
    TIGER = "tiger"
    POLITICAL_TERRORIST = "political_terrorist"
    TRAFFICKING_LINKED = "trafficking_linked"
    OTHER = "other"
