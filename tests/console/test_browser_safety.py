"""What a browser is told and given: a strict CSP and the other security headers on every response, no
inline script or style or event handler in any page, no caching of pages that carry records, and a
console that only ever shows what KIX answered to this agency."""

import re

import pytest

from app.console.security import CONTENT_SECURITY_POLICY
from tests.console.conftest import PAGES, Console
from tests.records_data import alert, rules

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def test_the_policy_allows_nothing_inline_and_no_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", [*PAGES, "/login"])
def test_every_page_has_the_headers_and_no_inline_code(console: Console, path: str) -> None:
    console.owner.client.create_record("alerts", alert())
    if path != "/login":
        console.signed_in("ana")
    page = console.browser.get(path)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert not INLINE_SCRIPT.search(page.text)
    assert not INLINE_STYLE.search(page.text)
    assert not EVENT_HANDLER.search(page.text)


def test_a_record_page_is_not_cached_and_a_static_file_may_be(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    assert console.browser.get(f"/alerts/{created['id']}").headers["cache-control"] == "no-store"
    static = console.browser.get("/static/console.js")
    assert static.headers["cache-control"].startswith("public")
    assert static.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_nothing_is_shown_before_login(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    for path in [*PAGES, f"/alerts/{created['id']}", f"/cases/{created['id']}/graph.json"]:
        answer = console.browser.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/login"
        assert created["id"] not in answer.text
    assert console.browser.get("/alerts", headers={"hx-request": "true"}).headers["hx-redirect"] == "/login"


def test_every_state_changing_route_wants_the_csrf_token(console: Console) -> None:
    created = console.owner.client.create_record("alerts", alert())
    console.signed_in("ana")
    routes = [
        f"/alerts/{created['id']}/contributions",
        f"/alerts/{created['id']}/share-requests",
        f"/alerts/{created['id']}/withdraw",
        f"/alerts/{created['id']}/purge",
        "/alerts/notices/x/ack",
        "/match",
        "/hits/x/access",
        "/access/x/decision",
        "/requests/x/actions",
        "/crises/x/entries",
        "/crises/x/urgent-request",
        "/alerts/new",
        "/logout",
    ]
    for route in routes:
        answer = console.browser.post(route, data={"text": "x", "reason": "x"}, follow_redirects=False)
        assert answer.status_code == 403, route
    assert console.owner.client.contributions("alerts", created["id"])["items"] == []
    assert console.browser.get("/").status_code == 200  # still signed in: logout was refused too


def test_another_agencys_hidden_record_is_never_shown(console: Console) -> None:
    hidden = console.other.client.create_record(
        "alerts", alert(rules=rules(mode="owner_only", discoverable=False))
    )
    console.signed_in("ana")
    for path in PAGES:
        page = console.browser.get(path).text
        assert hidden["id"] not in page[page.index("<main") :], path
    for path in [*PAGES, f"/alerts/{hidden['id']}", f"/records/{hidden['id']}"]:
        answer = console.browser.get(path)
        assert answer.status_code == (404 if hidden["id"] in path else 200), path
        for content in ("Giulia Ferraro", "fake checkpoint", "CASE-2026-0042", "Calabria"):
            assert content not in answer.text, (path, content)
