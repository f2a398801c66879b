"""The practices library: every member reads, the author edits (If-Match), others comment, full-text search
with stemming on both databases, and no person fields."""

from typing import Any

import pytest

from app.client import KixClient, KixProblem
from tests.conftest import Member


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


def _note(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Family liaison officers from the first hour",
        "country": "IT",
        "themes": ["victim_support", "crisis_response"],
        "summary": "A trained liaison officer stays with the family from the first call of the kidnappers.",
        "lessons": "Families who had a liaison officer followed the negotiators' advice and paid no ransom.",
    }
    return body | changes


@pytest.fixture
def library(enrol: Any) -> tuple[KixClient, KixClient]:
    author: Member = enrol("it-dcsa")
    reader: Member = enrol("co-gaula")
    return author.client, reader.client


def test_publish_read_comment_and_edit(library: tuple[KixClient, KixClient]) -> None:
    author, reader = library
    note = author.publish_practice(_note())
    assert (note["author"], note["version"], note["etag"]) == ("it-dcsa", 1, '"v1"')
    assert reader.get_practice(note["id"])["title"] == note["title"]  # every member reads it
    reader.comment_practice(note["id"], "We do the same in Antioquia since 2019.")
    # Only the author edits, against the version it read.
    assert _problem(reader.edit_practice, note["id"], {"title": "Mine now"}, etag='"v1"') == (
        403,
        "forbidden",
    )
    edited = author.edit_practice(note["id"], {"themes": ["victim_support"]}, etag='"v1"')
    assert (edited["version"], edited["themes"]) == (2, ["victim_support"])
    assert _problem(author.edit_practice, note["id"], {"title": "Stale edit"}, etag='"v1"') == (
        412,
        "precondition-failed",
    )
    assert [c["author"] for c in edited["comments"]] == ["co-gaula"]
    assert author.get_practice(note["id"])["title"] == note["title"]


def test_full_text_search_stems_and_filters(library: tuple[KixClient, KixClient]) -> None:
    author, reader = library
    liaison = author.publish_practice(_note())["id"]
    hotline = author.publish_practice(
        _note(
            title="A national kidnapping hotline",
            country="CO",
            themes=["reporting"],
            summary="One number, answered day and night, for every report of a kidnapping.",
            lessons="Reports came in hours earlier once the number was on every bank's website.",
        )
    )["id"]

    def found(**filters: Any) -> list[str]:
        return [item["id"] for item in reader.practices(**filters)["items"]]

    assert found(q="kidnappings") == [hotline]  # stemmed: matches "kidnapping"
    assert found(q="ransom families") == [liaison]  # every word, stemmed (families/family)
    assert found(q="hotline", theme="reporting") == [hotline]
    assert found(theme="victim_support") == [liaison]
    assert found(country="CO") == [hotline]
    assert found(q='"unbalanced AND (quote') == []  # operators and quotes are words, not syntax
    assert found(q="nothing-here-at-all") == []


def test_a_practice_carries_no_person(library: tuple[KixClient, KixClient]) -> None:
    author, reader = library
    for person_field in (
        {"victim_name": "Giulia Ferraro"},
        {"suspect": {"name": "Marco"}},
        {"phones": ["+39"]},
    ):
        assert _problem(author.publish_practice, _note(**person_field)) == (422, "validation-failed")
    assert reader.practices()["items"] == []  # nothing was published


def test_links_only_to_closed_cases_of_its_author(library: tuple[KixClient, KixClient]) -> None:
    author, reader = library
    case = author.open_case("Operation Aspromonte")
    assert _problem(author.publish_practice, _note(cases=[case["id"]])) == (422, "validation-failed")
    author.close_case(case["id"])
    assert _problem(reader.publish_practice, _note(cases=[case["id"]])) == (422, "validation-failed")
    assert author.publish_practice(_note(cases=[case["id"]]))["cases"] == [case["id"]]


def test_unknown_practices_are_404(library: tuple[KixClient, KixClient]) -> None:
    author, _ = library
    missing = "01a20000-0000-7000-8000-000000000000"
    assert _problem(author.get_practice, missing) == (404, "not-found")
    assert _problem(author.comment_practice, missing, "hello") == (404, "not-found")
