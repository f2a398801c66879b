"""The console's pages against the real KIX app: what an analyst sees and does, that each call reaches
KIX as the agency naming the analyst, and that only what KIX answered to this agency is shown."""

import re
from typing import Any

import httpx
import pytest

from app.console.accounts import Role
from app.services.matching.search import MAX_RESULTS
from tests.console.conftest import OTHER, OWNER, PAGES, Console, csrf_of
from tests.records_data import alert, cooperation_request, lead, rules, suspect

UUIDISH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def post(console: Console, path: str, data: dict[str, str], page: str = "/") -> httpx.Response:
    """A form post with the session's CSRF token, as the page's form sends it."""
    token = csrf_of(console.browser.get(page))
    return console.browser.post(path, data=data | {"csrf_token": token}, follow_redirects=False)


def test_lists_filter_and_show_only_what_kix_shows_this_agency(console: Console) -> None:
    shared = console.other.client.create_record("alerts", alert(place={"country": "FR"}))
    hidden = console.other.client.create_record(
        "alerts", alert(rules=rules(mode="owner_only", discoverable=False))
    )
    own = console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    page = console.browser.get("/alerts")
    assert shared["id"] in page.text
    assert own["id"] in page.text
    assert hidden["id"] not in page.text
    # Filtering as the analyst types: htmx asks for the rows only.
    rows = console.browser.get("/alerts", params={"country": "fr"}, headers={"hx-request": "true"})
    assert "<html" not in rows.text
    assert shared["id"] in rows.text
    assert own["id"] not in rows.text
    # Another agency's hidden record: KIX answers 404, and so does the console.
    assert console.browser.get(f"/alerts/{hidden['id']}").status_code == 404


def test_a_record_page_shows_its_revisions_as_a_diff_and_takes_a_contribution(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    console.owner.client.update_record("alerts", created["id"], {"urgency": "high"}, etag=created["etag"])
    console.signed_in("ana")
    page = console.browser.get(f"/alerts/{created['id']}")
    assert page.status_code == 200
    diff = page.text[page.text.index('id="revisions-heading"') :]
    assert re.search(r"<td>urgency</td><td class=\"old\">critical</td><td class=\"new\">high</td>", diff)
    answer = post(
        console,
        f"/alerts/{created['id']}/contributions",
        {"note_kind": "sighting", "text": "Seen in Gioia Tauro"},
    )
    assert answer.status_code == 303
    contributions = console.owner.client.contributions("alerts", created["id"])["items"]
    assert [(c["text"], c["actor"]) for c in contributions] == [("Seen in Gioia Tauro", "ana")]


def test_an_analyst_can_not_withdraw_but_a_supervisor_can(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    refused = post(console, f"/alerts/{created['id']}/withdraw", {"reason": "entered in error"})
    assert refused.status_code == 403
    assert console.owner.client.get_record("alerts", created["id"])["withdrawn_at"] is None
    supervisor = console.make_browser()
    console.signed_in("sam", Role.SUPERVISOR, browser=supervisor)
    token = csrf_of(supervisor.get("/"))
    done = supervisor.post(
        f"/alerts/{created['id']}/withdraw",
        data={"reason": "entered in error", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert console.owner.client.get_record("alerts", created["id"])["withdrawn_at"] is not None


def test_match_across_scripts_then_ask_access_and_the_owner_grants_it(console: Console) -> None:
    # it-dcsa holds a suspect it does not share, but lets it be found.
    held = console.other.client.create_record(
        "suspects", suspect(rules=rules(mode="owner_only", discoverable=True))
    )
    console.signed_in("ana")
    answer = post(
        console, "/match", {"names": "Мухаммад Аль-Рашид\n", "dates_of_birth": "1985-03-14"}, "/match"
    )
    assert answer.status_code == 200
    assert "Budget left this hour:" in answer.text
    assert "held by" in answer.text
    assert held["id"] not in answer.text  # a hit names the owner, never the record
    hit_id = re.search(r'action="/hits/([^/]+)/access"', answer.text)
    assert hit_id
    asked = post(console, f"/hits/{hit_id.group(1)}/access", {"reason": "Same man as our suspect in case 42"})
    assert asked.status_code == 303
    pending = console.other.client.access_requests()["items"]
    assert [(item["requester"], item["status"]) for item in pending] == [(OWNER, "pending")]
    console.other.client.decide_access(pending[0]["id"], True, "Granted for case 42")
    assert console.browser.get(f"/suspects/{held['id']}").status_code == 200


def test_an_answer_cut_at_its_bound_says_so(console: Console) -> None:
    crowd = [suspect(names=[{"full_name": "Wang Wei"}], documents=[]) for _ in range(MAX_RESULTS + 1)]
    console.other.client.create_records("suspects", crowd)
    console.signed_in("ana")
    cut = post(console, "/match", {"names": "Wang Wei\n"}, "/match")
    assert "More records matched than one answer shows" in cut.text
    whole = post(console, "/match", {"names": "Mohammed Al-Rashid\n"}, "/match")
    assert "Budget left this hour:" in whole.text
    assert "More records matched than one answer shows" not in whole.text


def test_a_supervisor_decides_an_access_request_from_the_inbox(console: Console) -> None:
    held = console.owner.client.create_record(
        "suspects", suspect(rules=rules(mode="owner_only", discoverable=True))
    )
    answer = console.other.client.match({"names": ["Mohammed Al-Rashid"]})
    console.other.client.request_access(answer["hits"][0]["hit_id"], "Our kidnapping in Milan")
    console.signed_in("ana")
    inbox = console.browser.get("/")
    assert "Access request to decide" in inbox.text
    assert "Our kidnapping in Milan" in inbox.text
    request_id = console.owner.client.access_requests()["items"][0]["id"]
    assert (
        post(console, f"/access/{request_id}/decision", {"grant": "true", "reason": "ok"}).status_code == 403
    )
    supervisor = console.make_browser()
    console.signed_in("sam", Role.SUPERVISOR, browser=supervisor)
    token = csrf_of(supervisor.get("/access"))
    decided = supervisor.post(
        f"/access/{request_id}/decision",
        data={"grant": "true", "reason": "Same man", "csrf_token": token},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert console.other.client.get_record("suspects", held["id"])["id"] == held["id"]


def test_a_notice_is_acknowledged_from_the_record_page(console: Console) -> None:
    theirs = console.other.client.create_record("alerts", alert())
    console.signed_in("ana")
    assert console.browser.get(f"/alerts/{theirs['id']}").status_code == 200  # seen: notices follow
    console.other.client.withdraw_record("alerts", theirs["id"], "Victim found: entered in error")
    inbox = console.browser.get("/")
    assert "Notice to acknowledge" in inbox.text
    notice = console.owner.client.notices("alerts")["items"][0]
    acked = post(console, f"/alerts/notices/{notice['id']}/ack", {"record_id": theirs["id"]})
    assert acked.status_code == 303
    assert console.owner.client.notices("alerts")["items"] == []
    receipts = console.other.client.notice_receipts("alerts", theirs["id"])["items"][0]["receipts"]
    assert [(r["agency"], r["acknowledged_by"]) for r in receipts] == [(OWNER, "ana")]


def test_a_cooperation_request_moves_through_its_states_by_buttons(console: Console) -> None:
    made = console.other.client.create_request(cooperation_request(OWNER))
    console.signed_in("ana")
    page = console.browser.get(f"/requests/{made['id']}")
    assert 'value="acknowledge"' in page.text
    assert 'value="refuse"' not in page.text  # a supervisor's button
    assert (
        post(
            console, f"/requests/{made['id']}/actions", {"action": "acknowledge"}, f"/requests/{made['id']}"
        ).status_code
        == 303
    )
    assert (
        post(
            console, f"/requests/{made['id']}/actions", {"action": "start"}, f"/requests/{made['id']}"
        ).status_code
        == 303
    )
    assert (
        post(
            console, f"/requests/{made['id']}/actions", {"action": "refuse"}, f"/requests/{made['id']}"
        ).status_code
        == 403
    )
    done = post(
        console,
        f"/requests/{made['id']}/actions",
        {"action": "execute", "note": "Records sent"},
        f"/requests/{made['id']}",
    )
    assert done.status_code == 303
    assert console.other.client.get_request(made["id"])["state"] == "executed"
    assert "executed" in console.browser.get("/requests?box=inbox").text


def test_a_crisis_timeline_streams_new_entries(console: Console) -> None:
    theirs = console.other.client.create_record("alerts", alert())
    room = console.other.client.open_crisis(theirs["id"], [OWNER])
    console.other.client.add_crisis_entry(room["id"], "ransom_demand", "2 million euros by Friday")
    console.signed_in("ana")
    page = console.browser.get(f"/crises/{room['id']}")
    assert "2 million euros by Friday" in page.text
    assert f'data-live="/crises/{room["id"]}/live?shown=1"' in page.text
    added = post(
        console, f"/crises/{room['id']}/entries", {"kind": "sighting", "text": "Car seen near Bovalino"}
    )
    assert added.status_code == 303
    console.other.client.close_crisis(room["id"], "released", {"ransom_paid": False})
    # The stream sends what came after the page (one entry), then says the room closed.
    with console.browser.stream("GET", f"/crises/{room['id']}/live", params={"shown": 1}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        body = "".join(stream.iter_text())
    assert body.count("event: entry") == 1
    assert "Car seen near Bovalino" in body
    assert "(ana)" in body  # KIX's entry names the analyst
    assert "event: closed" in body


def test_a_case_graph_and_its_export(console: Console) -> None:
    case = console.owner.client.open_case("Calabria ring", summary="Three kidnappings", invite=[])
    first = console.owner.client.create_record("alerts", alert())
    second = console.owner.client.create_record("suspects", suspect())
    console.owner.client.add_to_case(case["id"], first["id"])
    console.owner.client.add_to_case(case["id"], second["id"])
    console.owner.client.link_in_case(case["id"], first["id"], second["id"], "suspect_in")
    console.signed_in("ana")
    page = console.browser.get(f"/cases/{case['id']}")
    assert page.status_code == 200
    assert 'src="/static/cytoscape.min.js"' in page.text
    graph = console.browser.get(f"/cases/{case['id']}/graph.json").json()
    assert {node["id"] for node in graph["nodes"]} >= {first["id"], second["id"]}
    exported = console.browser.get(f"/cases/{case['id']}/graph.json", params={"download": "true"})
    assert exported.headers["content-disposition"].startswith("attachment")


def test_trends_show_small_cells_suppressed(console: Console) -> None:
    for _ in range(2):
        console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    page = console.browser.get("/trends", params={"by": "country", "measure": "alerts"})
    assert page.status_code == 200
    assert "&lt;5" in page.text or "<5" in page.text
    assert "<svg" in page.text


def test_the_directory_filters(console: Console) -> None:
    console.signed_in("ana")
    page = console.browser.get("/directory", params={"country": "it"}, headers={"hx-request": "true"})
    assert page.status_code == 200
    assert "<html" not in page.text
    assert "Competent authorities" in page.text


def test_a_new_alert_shows_kix_errors_beside_their_fields_then_is_created(console: Console) -> None:
    console.signed_in("ana")
    form = {
        "category": "ransom_extortion",
        "urgency": "critical",
        "status": "active",
        "occurred_at": "2026-11-01T10:00",
        "place.country": "XX",
        "modus_operandi": "At a fake checkpoint",
        "rules.case_ref": "CASE-1",
        "rules.evaluation.source": "B",
        "rules.evaluation.information": "2",
        "rules.action_on_hit": "contact_owner_immediately",
        "rules.handling": "AMBER",
        "rules.distribution.mode": "all_members",
        "rules.discoverable": "true",
    }
    refused = post(console, "/alerts/new", form, "/alerts/new")
    assert refused.status_code == 422
    assert 'id="place.country-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert console.owner.client.list_records("alerts")["items"] == []  # nothing changed
    created = post(console, "/alerts/new", form | {"place.country": "IT"}, "/alerts/new")
    assert created.status_code == 303
    record_id = created.headers["location"].rsplit("/", 1)[1]
    assert console.owner.client.get_record("alerts", record_id)["place"]["country"] == "IT"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_in_french_when_chosen(console: Console, path: str) -> None:
    console.signed_in("ana")
    console.browser.get("/language/fr", follow_redirects=False)
    page = console.browser.get(path)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Boîte de réception" in page.text  # the menu, in French
    assert OTHER not in page.text or path in ("/directory",)


def test_an_alert_is_changed_with_the_version_the_analyst_read(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    form_page = console.browser.get(f"/alerts/{created['id']}/edit")
    assert form_page.status_code == 200
    assert '<option value="released"' in form_page.text  # the lifecycle's moves from active
    assert '<option value="closed"' not in form_page.text
    etag = re.search(r'name="etag" value="([^"]+)"', form_page.text)
    assert etag
    # Someone else changes it meanwhile: the analyst's change is refused, not written over theirs.
    console.owner.client.update_record("alerts", created["id"], {"urgency": "high"}, etag=created["etag"])
    fields = {
        "status": "released",
        "urgency": "critical",
        "modus_operandi": "x",
        "place.locality": "Reggio Calabria",
    }
    stale = post(
        console, f"/alerts/{created['id']}/edit", fields | {"etag": etag.group(1)}, f"/alerts/{created['id']}"
    )
    assert stale.status_code == 412
    assert "Someone changed this record" in stale.text
    assert console.owner.client.get_record("alerts", created["id"])["status"] == "active"
    fresh = console.owner.client.get_record("alerts", created["id"])
    changed = post(
        console, f"/alerts/{created['id']}/edit", fields | {"urgency": "high", "etag": fresh["etag"]}, "/"
    )
    assert changed.status_code == 303
    after = console.owner.client.get_record("alerts", created["id"])
    assert (after["status"], after["urgency"], after["modus_operandi"]) == ("released", "high", "x")
    # Another agency's alert: no form.
    theirs = console.other.client.create_record("alerts", alert())
    assert console.browser.get(f"/alerts/{theirs['id']}/edit").status_code == 403


def test_an_urgent_request_is_raised_from_a_crisis_room(console: Console) -> None:
    mine = console.owner.client.create_record("alerts", alert())
    room = console.owner.client.open_crisis(mine["id"], [OTHER])
    console.signed_in("ana")
    fields = {
        "addressee": OTHER,
        "summary": "Trace the phone that called the family at 14:05",
        "basis_kind": "convention",
        "instrument": "UNTOC",
    }
    raised = post(console, f"/crises/{room['id']}/urgent-request", fields, f"/crises/{room['id']}")
    assert raised.status_code == 303
    request_id = raised.headers["location"].rsplit("/", 1)[1]
    made = console.other.client.get_request(request_id)
    assert (made["kind"], made["urgency"], made["crisis"], made["linked_records"]) == (
        "urgent_assistance",
        "critical",
        room["id"],
        [mine["id"]],
    )


RULES_FIELDS = {
    "rules.case_ref": "CASE-7",
    "rules.evaluation.source": "B",
    "rules.evaluation.information": "2",
    "rules.action_on_hit": "report_whereabouts",
    "rules.handling": "AMBER",
    "rules.distribution.mode": "all_members",
    "rules.discoverable": "true",
}


def test_a_new_suspect_with_names_in_two_scripts_is_found_by_either(console: Console) -> None:
    console.signed_in("ana")
    form = RULES_FIELDS | {
        "names": "AL-RASHID, Mohammed\nМухаммад Аль-Рашид\nAl-Rashid, Mohammed, bin Khalid",
        "date_of_birth": "1985-03-14",
        "nationalities": "jo",
        "documents": "passport N1234567 JO\nnational_id X 12",
        "phones": "+962791234567",
    }
    refused = post(console, "/suspects/new", form, "/suspects/new")
    assert refused.status_code == 422  # "national_id X 12": 12 is no country
    assert 'id="documents-error"' in refused.text
    created = post(console, "/suspects/new", form | {"documents": "passport N1234567 JO"}, "/suspects/new")
    assert created.status_code == 303
    record = console.owner.client.get_record("suspects", created.headers["location"].rsplit("/", 1)[1])
    names = [
        (n["full_name"], n.get("family_name"), n.get("patronymic"), n["script"]) for n in record["names"]
    ]
    assert names == [
        ("Mohammed AL-RASHID", "AL-RASHID", None, "Latn"),
        ("Мухаммад Аль-Рашид", None, None, "Cyrl"),
        ("Mohammed bin Khalid Al-Rashid", "Al-Rashid", "bin Khalid", "Latn"),
    ]
    assert record["documents"] == [{"kind": "passport", "number": "N1234567", "issuing_country": "JO"}]
    found = console.other.client.match({"names": ["Muhammad Al Rashid"], "dates_of_birth": ["1985-03-14"]})
    assert record["id"] in [reference["record_id"] for reference in found["references"]]


def test_a_new_lead_needs_the_identifier_its_asset_has(console: Console) -> None:
    console.signed_in("ana")
    form = RULES_FIELDS | {
        "asset_kind": "bank_account",
        "amount": "120000.00",
        "currency": "eur",
        "jurisdiction": "de",
    }
    refused = post(console, "/leads/new", form, "/leads/new")
    assert refused.status_code == 422
    assert "identifiers.iban" in refused.text
    created = post(
        console, "/leads/new", form | {"identifiers.iban": "DE89 3704 0044 0532 0130 00"}, "/leads/new"
    )
    assert created.status_code == 303
    record = console.owner.client.get_record("leads", created.headers["location"].rsplit("/", 1)[1])
    assert (record["currency"], record["jurisdiction"], record["owner"]) == ("EUR", "DE", OWNER)


def test_an_onward_sharing_request_waits_in_the_owners_inbox_until_a_supervisor_decides(
    console: Console, enrol: Any
) -> None:
    third = enrol("fr-ocrb")
    mine = console.owner.client.create_record("alerts", alert(rules=rules(mode="agencies", agencies=[OTHER])))
    asked = console.other.client.ask_onward_sharing(
        "alerts", mine["id"], third.agency_id, "Our prosecutor needs it"
    )
    console.signed_in("ana")
    inbox = console.browser.get("/")
    assert "Onward-sharing request to decide" in inbox.text
    assert "Our prosecutor needs it" in inbox.text
    supervisor = console.make_browser()
    console.signed_in("sam", Role.SUPERVISOR, browser=supervisor)
    page = supervisor.get(f"/alerts/{mine['id']}")
    token = csrf_of(page)
    decided = supervisor.post(
        f"/alerts/{mine['id']}/share-requests/{asked['id']}/decision",
        data={"grant": "false", "reason": "Ask us directly", "csrf_token": token},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert "Onward-sharing request to decide" not in console.browser.get("/").text


def test_a_suspect_and_a_lead_are_changed_and_a_withdrawn_record_purged_by_a_supervisor(
    console: Console,
) -> None:
    held = console.owner.client.create_record("suspects", suspect())
    lead_record = console.owner.client.create_record("leads", lead())
    console.signed_in("ana")
    page = console.browser.get(f"/suspects/{held['id']}/edit")
    assert '<option value="closed"' in page.text
    changed = post(
        console,
        f"/suspects/{held['id']}/edit",
        {"status": "closed", "group_affiliation": "", "etag": held["etag"]},
        "/",
    )
    assert changed.status_code == 303
    after = console.owner.client.get_record("suspects", held["id"])
    assert (after["status"], after["group_affiliation"]) == ("closed", None)
    frozen = post(
        console,
        f"/leads/{lead_record['id']}/edit",
        {
            "status": "frozen",
            "amount": "120000.00",
            "freeze_expires_on": "2027-06-30",
            "etag": lead_record["etag"],
        },
        "/",
    )
    assert frozen.status_code == 303
    assert console.owner.client.get_record("leads", lead_record["id"])["freeze_expires_on"] == "2027-06-30"
    bad = post(console, f"/leads/{lead_record['id']}/edit", {"amount": "-5"}, "/")
    assert bad.status_code == 422
    assert 'id="amount-error"' in bad.text
    # Purging: a supervisor's, once withdrawn.
    console.owner.client.withdraw_record("suspects", held["id"], "entered in error")
    assert post(console, f"/suspects/{held['id']}/purge", {}).status_code == 403
    supervisor = console.make_browser()
    console.signed_in("sam", Role.SUPERVISOR, browser=supervisor)
    page = supervisor.get(f"/suspects/{held['id']}")
    assert "Purge this record" in page.text
    purged = supervisor.post(
        f"/suspects/{held['id']}/purge", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert purged.status_code == 303
    assert supervisor.get(f"/suspects/{held['id']}").status_code in (404, 410)
