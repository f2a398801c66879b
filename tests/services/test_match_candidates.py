"""Which candidates of a hit/no-hit query are worth decrypting and scoring (search.worth_scoring): what a
name or an identifier found, always; what only a birth date found, only if few records hold that date."""

from app.services.matching.search import COMMON_DATE, worth_scoring

LABELS = {
    ("dob", "rare-day"): "date_of_birth",
    ("dob", "crowded-day"): "date_of_birth",
    ("dob", "next-day"): "date_of_birth~",
    ("document", "passport"): "document",
}


def test_a_rare_birth_date_brings_its_holders_and_a_near_or_common_one_none() -> None:
    crowd = [(f"crowd-{n}", "dob", "crowded-day") for n in range(COMMON_DATE + 1)]
    rows = [
        ("by-name", "name_token", ""),  # a name candidate (no label)
        ("by-document", "document", "passport"),
        ("by-rare-date", "dob", "rare-day"),
        ("by-near-date", "dob", "next-day"),
        ("named-in-crowd", "name_token", ""),
        ("named-in-crowd", "dob", "crowded-day"),
        ("rare-and-crowded", "dob", "rare-day"),
        ("rare-and-crowded", "dob", "crowded-day"),
        *crowd,
    ]
    assert worth_scoring(rows, LABELS) == {
        "by-name",
        "by-document",
        "by-rare-date",
        "named-in-crowd",  # found by its name: the crowded date still corroborates it
        "rare-and-crowded",
    }
    # At the bound, a date is not yet a crowd.
    assert len(worth_scoring(crowd[:COMMON_DATE], LABELS)) == COMMON_DATE
