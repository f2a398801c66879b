"""Records through the SDK: create, read, update with If-Match, revisions, withdraw, lifecycle, and the
bad input that must be refused without writing anything."""

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.api.records import expected_version
from app.client import KixClient, KixProblem
from app.db import Database
from app.errors import PreconditionFailed, PreconditionRequired
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordCount, RecordFilters, count_records
from tests.conftest import Member
from tests.records_data import alert, lead, rules, suspect
from tests.signing import build_request, send


def _problem(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status, caught.value.type.removeprefix("urn:kix:problem:")


@pytest.fixture
def owner(enrol: Any) -> Member:
    member: Member = enrol("it-dcsa")
    return member


@pytest.fixture
def partner(enrol: Any) -> Member:
    member: Member = enrol("de-bka")
    return member


def _count(client: KixClient, kind: str) -> int:
    return int(client.count_records(kind)["count"])


@pytest.mark.parametrize(("kind", "body"), [("alerts", alert()), ("suspects", suspect()), ("leads", lead())])
def test_create_read_list_each_kind(owner: Member, partner: Member, kind: str, body: dict[str, Any]) -> None:
    created = owner.client.create_record(kind, body)
    assert (created["owner"], created["version"], created["etag"]) == ("it-dcsa", 1, '"v1"')
    assert created["rules"]["distribution"]["mode"] == "all_members"
    seen = partner.client.get_record(kind, created["id"])
    assert seen["id"] == created["id"]
    assert seen["rules"]["distribution"]["agencies"] is None  # recipients do not learn of each other
    assert [item["id"] for item in partner.client.list_records(kind)["items"]] == [created["id"]]
    assert partner.client.count_records(kind) == {"count": 1, "capped": False}


def test_a_count_is_exact_up_to_its_cap_then_says_more(owner: Member, partner: Member, db: Database) -> None:
    hidden = rules(mode="owner_only")
    for body in (alert(), alert(), alert(), alert(rules=hidden)):
        owner.client.create_record("alerts", body)
    with db.sessions() as session:
        counted = {
            cap: count_records(session, ALERTS, partner.agency_id, RecordFilters(), cap=cap)
            for cap in (None, 4, 3, 2)
        }
    assert counted == {
        None: RecordCount(3, capped=False),  # the owner's own alert is not the partner's to count
        4: RecordCount(3, capped=False),
        3: RecordCount(3, capped=False),
        2: RecordCount(2, capped=True),
    }


def test_lead_identifiers_are_normalised(owner: Member) -> None:
    created = owner.client.create_record("leads", lead())
    assert created["identifiers"]["iban"] == "DE89370400440532013000"


def test_victim_block_goes_only_to_named_agencies_with_victims_read(owner: Member, enrol: Any) -> None:
    named = enrol("fr-ocrb")
    unnamed = enrol("es-ucic")
    named_without_scope = enrol("nl-npn", key_scopes=["alerts:read"])
    body = alert(victim_recipients=["fr-ocrb", "nl-npn"])
    created = owner.client.create_record("alerts", body)
    assert created["victim_recipients"] == ["fr-ocrb", "nl-npn"]
    assert named.client.get_record("alerts", created["id"])["victim"]["name"] == "Giulia Ferraro"
    for member in (unnamed, named_without_scope):
        seen = member.client.get_record("alerts", created["id"])
        assert (seen["victim"], seen["victim_withheld"], seen["victim_recipients"]) == (None, True, None)
    revisions = unnamed.client.record_revisions("alerts", created["id"])["items"]
    assert revisions[0]["body"]["victim"] is None  # nor through the history


def test_update_needs_if_match_and_keeps_every_revision(owner: Member, partner: Member) -> None:
    created = owner.client.create_record("alerts", alert())
    record_id = created["id"]
    assert _problem(owner.client.update_record, "alerts", record_id, {"urgency": "high"}, etag=None) == (
        428,
        "precondition-required",
    )
    updated = owner.client.update_record("alerts", record_id, {"urgency": "high"}, etag=created["etag"])
    assert (updated["urgency"], updated["version"]) == ("high", 2)
    stale = _problem(
        owner.client.update_record, "alerts", record_id, {"urgency": "low"}, etag=created["etag"]
    )
    assert stale == (412, "precondition-failed")
    released = owner.client.update_record("alerts", record_id, {"status": "released"}, etag=updated["etag"])
    assert released["status"] == "released"
    history = partner.client.record_revisions("alerts", record_id)["items"]
    assert [(r["version"], r["status"], r["body"]["urgency"]) for r in history] == [
        (1, "active", "critical"),
        (2, "active", "high"),
        (3, "released", "high"),
    ]
    assert owner.client.get_record("alerts", record_id)["urgency"] == "high"


def test_lifecycle_transitions_are_enforced(owner: Member) -> None:
    created = owner.client.create_record("alerts", alert())
    assert _problem(
        owner.client.update_record, "alerts", created["id"], {"status": "closed"}, etag='"v1"'
    ) == (
        409,
        "invalid-transition",
    )
    rescued = owner.client.update_record("alerts", created["id"], {"status": "rescued"}, etag='"v1"')
    closed = owner.client.update_record("alerts", created["id"], {"status": "closed"}, etag=rescued["etag"])
    assert closed["status"] == "closed"
    frozen_lead = owner.client.create_record("leads", lead())
    assert _problem(
        owner.client.update_record, "leads", frozen_lead["id"], {"status": "returned"}, etag='"v1"'
    ) == (
        409,
        "invalid-transition",
    )
    frozen = owner.client.update_record(
        "leads", frozen_lead["id"], {"status": "frozen", "freeze_expires_on": "2027-05-01"}, etag='"v1"'
    )
    assert (frozen["status"], frozen["freeze_expires_on"]) == ("frozen", "2027-05-01")


def test_only_the_owner_changes_or_withdraws(owner: Member, partner: Member, enrol: Any) -> None:
    shared = owner.client.create_record("alerts", alert())
    hidden = owner.client.create_record("alerts", alert(rules=rules(mode="owner_only")))
    change = {"urgency": "low"}
    assert _problem(partner.client.update_record, "alerts", shared["id"], change, etag='"v1"') == (
        403,
        "forbidden",
    )
    assert _problem(partner.client.update_record, "alerts", hidden["id"], change, etag='"v1"') == (
        404,
        "not-found",
    )
    assert _problem(partner.client.withdraw_record, "alerts", shared["id"], "mine now") == (403, "forbidden")
    assert _problem(partner.client.withdraw_record, "alerts", hidden["id"], "mine now") == (404, "not-found")
    assert owner.client.get_record("alerts", shared["id"])["version"] == 1


def test_withdraw(owner: Member, partner: Member) -> None:
    created = owner.client.create_record("suspects", suspect())
    withdrawn = owner.client.withdraw_record("suspects", created["id"], "identity mix-up")
    assert (withdrawn["status"], withdrawn["withdrawal_reason"]) == ("withdrawn", "identity mix-up")
    seen = partner.client.get_record("suspects", created["id"])
    assert seen["status"] == "withdrawn"
    assert _problem(
        owner.client.update_record, "suspects", created["id"], {"group_affiliation": "x"}, etag='"v2"'
    ) == (
        409,
        "conflict",
    )


def test_links_only_to_visible_records(owner: Member, partner: Member) -> None:
    mine = partner.client.create_record("suspects", suspect(rules=rules(mode="owner_only")))
    before = _count(owner.client, "alerts")
    assert _problem(owner.client.create_record, "alerts", alert(links=[mine["id"]])) == (404, "not-found")
    assert _count(owner.client, "alerts") == before
    ghost = "01234567-89ab-7def-8123-456789abcdef"
    assert _problem(owner.client.create_record, "alerts", alert(links=[ghost])) == (404, "not-found")
    visible = partner.client.create_record("suspects", suspect())
    linked = owner.client.create_record("alerts", alert(links=[visible["id"]]))
    assert linked["links"] == [visible["id"]]
    # The partner sees the link from its side too, and a hidden end is left out for whoever can not see it.
    assert partner.client.get_record("suspects", visible["id"])["links"] == [linked["id"]]


def test_a_create_answers_what_a_read_of_the_new_record_gives(
    owner: Member, partner: Member, enrol: Any
) -> None:
    # The create's answer is built from the rows it wrote, not read back (disclose_new): it must be what
    # a read gives, links and grants in the read's order included.
    enrol("dea")
    enrol("de-z")  # before "dea" by code point, after it in a linguistic collation
    targets = [partner.client.create_record("suspects", suspect())["id"] for _ in range(2)]
    targets.append(owner.client.create_record("suspects", suspect())["id"])
    body = alert(
        links=[*reversed(targets), targets[0]],
        rules=rules(mode="agencies", agencies=["dea", "de-z", "de-bka"]),
    )
    created = owner.client.create_record("alerts", body)
    assert created["links"] == sorted(targets)
    assert created["rules"]["distribution"]["agencies"] == ["de-bka", "de-z", "dea"]
    assert created == owner.client.get_record("alerts", created["id"])


BAD_ALERTS = {
    "unknown category": {"category": "pirate"},
    "bad country": {"place": {"country": "XX"}},
    "lower-case country": {"place": {"country": "it"}},
    "future occurred_at": {"occurred_at": "2999-01-01T00:00:00Z"},
    "naive occurred_at": {"occurred_at": "2026-01-01T00:00:00"},
    "latitude out of range": {"place": {"country": "IT", "coordinates": {"lat": 91, "lon": 0}}},
    "longitude out of range": {"place": {"country": "IT", "coordinates": {"lat": 0, "lon": 181}}},
    "bad currency": {"ransom": {"amount": "10", "currency": "EUX", "channel": "cash"}},
    "negative ransom": {"ransom": {"amount": "-1", "currency": "EUR", "channel": "cash"}},
    "server field owner": {"owner": "de-bka"},
    "server field id": {"id": "01234567-89ab-7def-8123-456789abcdef"},
    "server field created_at": {"created_at": "2026-01-01T00:00:00Z"},
    "status withdrawn": {"status": "withdrawn"},
    "oversized text": {"modus_operandi": "x" * 4001},
    "too many links": {"links": ["01234567-89ab-7def-8123-456789abcdef"] * 101},
    "bad TLP": {"rules": rules() | {"handling": "PURPLE"}},
    "bad evaluation": {"rules": rules() | {"evaluation": {"source": "G", "information": 2}}},
    "past review date": {"rules": rules() | {"review_by": "2020-01-01"}},
    "agencies mode without agencies": {"rules": rules(mode="agencies")},
    "unknown distribution agency": {"rules": rules(mode="agencies", agencies=["nobody"])},
}


@pytest.mark.parametrize("change", BAD_ALERTS.values(), ids=BAD_ALERTS.keys())
def test_bad_alert_is_422_and_nothing_is_written(owner: Member, change: dict[str, Any]) -> None:
    assert _problem(owner.client.create_record, "alerts", alert() | change) == (422, "validation-failed")
    assert _count(owner.client, "alerts") == 0


BAD_LEADS = {
    "bad IBAN checksum": {"identifiers": {"iban": "DE89370400440532013001"}},
    "bad BIC": {"identifiers": {"iban": "DE89370400440532013000", "bic": "NOTABIC"}},
    "bank account without IBAN": {"identifiers": {}},
    "unknown asset kind": {"asset_kind": "gold"},
    "bad jurisdiction": {"jurisdiction": "ZZ"},
    "bad currency": {"currency": "XXY"},
}


@pytest.mark.parametrize("change", BAD_LEADS.values(), ids=BAD_LEADS.keys())
def test_bad_lead_is_422(owner: Member, change: dict[str, Any]) -> None:
    assert _problem(owner.client.create_record, "leads", lead() | change) == (422, "validation-failed")
    assert _count(owner.client, "leads") == 0


BAD_SUSPECTS = {
    "no names": {"names": []},
    "too many names": {"names": [{"full_name": f"Name {i}"} for i in range(21)]},
    "overlong name": {"names": [{"full_name": "n" * 201}]},
    "future birth date": {"date_of_birth": "2999-01-01"},
    "malformed birth date": {"date_of_birth": "14/03/1985"},
    "unknown script": {"names": [{"full_name": "X", "script": "Klingon"}]},
    "bad nationality": {"nationalities": ["Jordan"]},
    "bad document number": {"documents": [{"kind": "passport", "number": "!!", "issuing_country": "JO"}]},
}


@pytest.mark.parametrize("change", BAD_SUSPECTS.values(), ids=BAD_SUSPECTS.keys())
def test_bad_suspect_is_422(owner: Member, change: dict[str, Any]) -> None:
    assert _problem(owner.client.create_record, "suspects", suspect() | change) == (422, "validation-failed")
    assert _count(owner.client, "suspects") == 0


def test_bad_update_changes_nothing(owner: Member) -> None:
    created = owner.client.create_record("alerts", alert())
    for change in (
        {"place": {"country": "XX"}},
        {"owner": "de-bka"},
        {"version": 7},
        {"occurred_at": "2999-01-01T00:00:00Z"},
    ):
        assert _problem(owner.client.update_record, "alerts", created["id"], change, etag='"v1"')[0] == 422
    after = owner.client.get_record("alerts", created["id"])
    assert (after["version"], after["place"]["country"], after["owner"]) == (1, "IT", "it-dcsa")


def test_missing_scope(enrol: Any, owner: Member) -> None:
    reader = enrol("de-bka", key_scopes=["alerts:read"])
    assert _problem(reader.client.create_record, "alerts", alert()) == (403, "forbidden")
    assert _problem(reader.client.list_records, "suspects") == (403, "forbidden")
    assert _count(owner.client, "alerts") == 0


def test_finding_04_every_version_follows_the_current_victim_recipients(owner: Member, enrol: Any) -> None:
    named = enrol("fr-ocrb")
    created = owner.client.create_record("alerts", alert(victim_recipients=["fr-ocrb"]))
    assert named.client.record_revisions("alerts", created["id"])["items"][0]["body"]["victim"] is not None
    owner.client.update_record("alerts", created["id"], {"victim_recipients": []}, etag=created["etag"])
    for revision in named.client.record_revisions("alerts", created["id"])["items"]:
        assert (revision["body"]["victim"], revision["body"]["victim_withheld"]) == (None, True)
    seen = named.client.get_record("alerts", created["id"])
    assert (seen["victim"], seen["victim_withheld"]) == (None, True)
    # The owner still reads every version's victim block.
    assert all(r["body"]["victim"] for r in owner.client.record_revisions("alerts", created["id"])["items"])


# Any text a header may carry: visible ASCII, space, tab, and obs-text (0x80-0xFF).
HEADER_TEXT = st.text(
    alphabet=st.sampled_from([chr(c) for c in [9, *range(0x20, 0x7F), *range(0x80, 0x100)]]), max_size=20
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HEADER_TEXT)
@example(value='"v\u00b2"')
@example(value='"v1\u0660"')
@example(value='"v99999999999999999999"')
def test_finding_13_no_if_match_text_gets_a_server_error(
    value: str, owner: Member, http: httpx.Client, server_jwks: dict[str, Any]
) -> None:
    record_id = owner.client.list_records("alerts")["items"]
    if not record_id:
        record_id = [owner.client.create_record("alerts", alert())]
    # Signed over an ASCII stand-in when the value is not ASCII (no signer can sign it), then sent as is.
    stand_in = value.encode("ascii", "replace").decode()
    path = f"/v1/alerts/{record_id[0]['id']}"
    signed = build_request(
        owner.key, server_jwks, "PATCH", path, {"urgency": "low"}, extra_headers={"if-match": stand_in}
    )
    headers = [(k, v) for k, v in signed.headers.raw if k.lower() != b"if-match"] + [
        (b"if-match", value.encode("utf-8"))
    ]
    request = httpx.Request("PATCH", signed.url, headers=headers, content=signed.content)
    status, problem, _ = send(http, request, owner.key, server_jwks)
    assert status < 500, (value, problem)
    if value.isascii():
        assert status in (200, 412), (value, problem)
    else:  # a covered header must be ASCII to be signed at all (RFC 9421 section 2.5)
        assert (status, problem) == (401, "urn:kix:problem:signature-invalid"), value


@given(st.text(max_size=30))
def test_finding_13_the_if_match_parser_only_ever_answers_412_or_428(value: str) -> None:
    try:
        version = expected_version(value)
    except (PreconditionFailed, PreconditionRequired):
        return
    assert value.strip() == f'"v{version}"'
