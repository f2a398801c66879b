"""The console in a real browser (Playwright driving Debian's Chromium): `kix serve` and two consoles, one
at de-bka and one at it-dcsa, each a `kix console` process over HTTPS, as agencies would run them.

What analysts do end to end: log in (a supervisor with TOTP), filter alerts and open one, match a name
written in another script and ask for access on the hit, the owner's supervisor grants it in another
browser, acknowledge a notice, move a cooperation request through its states, watch a crisis entry
appear live in another browser, open a case graph, and see a session expire. Every page passes axe-core
with no violation, and a screenshot of each is saved (build/screenshots, or KIX_SCREENSHOTS).
"""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from app.bootstrap import setup_demo
from app.client import KixClient
from app.console.accounts import Accounts, Issued, Role
from app.crypto.keystore import jwks_json, load_server_keys
from app.db import Database
from bench.harness.tls import self_signed
from tests.live import free_port, kix_server
from tests.records_data import alert, cooperation_request, rules, suspect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("KIX_SCREENSHOTS", REPO / "build" / "screenshots"))
IDLE_MINUTES = 0.15  # 9 s: long enough for a scenario's pauses, short enough to watch it expire

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")


@dataclass
class Desk:
    """One agency's console: its URL, its analysts, and the agency's SDK client (for set-up)."""

    url: str
    analyst: Issued
    supervisor: Issued
    kix: KixClient


@dataclass
class Stack:
    kix_url: str
    bka: Desk
    dcsa: Desk


def _console(
    workdir: Path, agency: str, demo_dir: Path, kix_url: str
) -> tuple[subprocess.Popen[bytes], str, Accounts]:
    data_dir = workdir / f"console-{agency}"
    data_dir.mkdir(mode=0o700)
    accounts = Accounts(data_dir / "console.db")
    certificate = self_signed(data_dir)
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "console", "--key", str(demo_dir / f"{agency}.key.json")]
    command += ["--server-keys", str(demo_dir / "server.jwks.json"), "--url", kix_url, "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--tls-cert", str(certificate.cert_path)]
    command += ["--tls-key", str(certificate.key_path), "--idle-minutes", str(IDLE_MINUTES)]
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/login", verify=str(certificate.cert_path), timeout=1).status_code == 200:
                return process, url, accounts
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"kix console did not start: {process.stderr.read() if process.stderr else b''!r}"
            )
        time.sleep(0.2)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("browser")
    database = workdir / "kix.db"
    shutil.copyfile(sqlite_template, database)
    database.chmod(0o600)
    url = f"sqlite:///{database}"
    keys_dir, demo_dir = workdir / "keys", workdir / "demo"
    server_key, _ = load_server_keys(keys_dir, create=True)
    db = Database(url)
    setup_demo(db, demo_dir, jwks_json(server_key))
    db.dispose()
    consoles: list[subprocess.Popen[bytes]] = []
    with kix_server(url, keys_dir) as kix_url:
        try:
            desks = {}
            for agency, short in (("de-bka", "bka"), ("it-dcsa", "dcsa")):
                process, console_url, accounts = _console(workdir, agency, demo_dir, kix_url)
                consoles.append(process)
                analyst = accounts.add(f"{short}-analyst", Role.ANALYST)
                supervisor = accounts.add(f"{short}-supervisor", Role.SUPERVISOR)
                accounts.close()
                client = KixClient(
                    kix_url, demo_dir / f"{agency}.key.json", demo_dir / "server.jwks.json", actor="set-up"
                )
                desks[short] = Desk(console_url, analyst, supervisor, client)
            yield Stack(kix_url, desks["bka"], desks["dcsa"])
        finally:
            for process in consoles:
                process.terminate()
                process.wait(timeout=15)
                if process.stderr:
                    process.stderr.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(
        ignore_https_errors=True, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    return context.new_page()


def log_in(page: Any, desk_url: str, issued: Issued) -> None:
    page.goto(desk_url + "/login")
    page.get_by_label("Name").fill(issued.name)
    page.get_by_label("Password").fill(issued.password)
    if issued.totp_secret:
        page.get_by_label("Code from your authenticator (supervisors)").fill(
            pyotp.TOTP(issued.totp_secret).now()
        )
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(desk_url + "/")


def checked(page: Any, name: str) -> None:
    """The page as it stands: no accessibility violation (axe-core), and a screenshot kept."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = axe_module.Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_a_supervisor_logs_in_with_totp_and_every_page_passes_axe(stack: Stack, browser: Any) -> None:
    stack.bka.kix.create_record("alerts", alert())
    stack.dcsa.kix.create_record("alerts", alert(place={"country": "FR"}))
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.supervisor)
    assert page.get_by_text("bka-supervisor (supervisor)").is_visible()
    for path, name in [
        ("/", "inbox"),
        ("/alerts", "alerts"),
        ("/suspects", "suspects"),
        ("/leads", "leads"),
        ("/match", "match"),
        ("/requests", "requests"),
        ("/crises", "crises"),
        ("/cases", "cases"),
        ("/trends", "trends"),
        ("/directory", "directory"),
        ("/access", "access"),
        ("/alerts/new", "new-alert"),
    ]:
        page.goto(stack.bka.url + path)
        checked(page, name)
    page.goto(stack.bka.url + "/language/fr?back=/")
    assert page.get_by_role("heading", name=re.compile("Boîte de réception")).is_visible()
    checked(page, "inbox-fr")
    page.context.close()


def test_filter_alerts_as_you_type_and_open_one(stack: Stack, browser: Any) -> None:
    wanted = stack.dcsa.kix.create_record(
        "alerts", alert(place={"country": "GR"}, modus_operandi="Taken at the port of Patras")
    )
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(stack.bka.url + "/alerts")
    page.get_by_label("Country").fill("gr")
    page.wait_for_url(re.compile(r"country=gr"))
    rows = page.locator("#record-rows tr")
    rows.first.wait_for()
    assert rows.count() == 1
    page.get_by_role("link", name=wanted["id"]).click()
    page.wait_for_url(f"{stack.bka.url}/alerts/{wanted['id']}")
    assert page.get_by_text("Taken at the port of Patras").is_visible()
    checked(page, "alert")
    page.context.close()


def test_match_across_scripts_ask_access_and_the_owner_grants_it(stack: Stack, browser: Any) -> None:
    held = stack.dcsa.kix.create_record(
        "suspects", suspect(rules=rules(mode="owner_only", discoverable=True))
    )
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(stack.bka.url + "/match")
    page.get_by_label("Names").fill("Мухаммад Аль-Рашид")
    page.get_by_role("button", name="Check").click()
    page.get_by_text("held by").wait_for()
    checked(page, "match-answer")
    page.get_by_label("Reason").first.fill("The man in our case 42")
    page.get_by_role("button", name="Ask for access").first.click()
    page.wait_for_url(stack.bka.url + "/access")

    owner = new_page(browser)
    log_in(owner, stack.dcsa.url, stack.dcsa.supervisor)
    owner.get_by_role("link", name=re.compile("The man in our case 42")).click()
    owner.get_by_label("Reason").fill("Same man: granted")
    owner.get_by_role("button", name="Grant").click()
    owner.wait_for_url(stack.dcsa.url + "/access")
    checked(owner, "access-decided")

    page.goto(f"{stack.bka.url}/suspects/{held['id']}")
    assert page.get_by_role("heading", name=re.compile(held["id"])).is_visible()
    page.context.close()
    owner.context.close()


def test_acknowledge_a_notice(stack: Stack, browser: Any) -> None:
    theirs = stack.dcsa.kix.create_record("alerts", alert())
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(f"{stack.bka.url}/alerts/{theirs['id']}")
    stack.dcsa.kix.withdraw_record("alerts", theirs["id"], "Entered in error")
    page.goto(stack.bka.url + "/")
    page.get_by_role("link", name="Entered in error").first.click()
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    page.context.close()


def test_move_a_cooperation_request_through_its_states(stack: Stack, browser: Any) -> None:
    made = stack.dcsa.kix.create_request(
        cooperation_request("de-bka", summary="Phone records of +39 347 1234567")
    )
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(stack.bka.url + "/requests")
    page.get_by_role("link", name=re.compile("Phone records")).click()
    for action in ("acknowledge", "start", "execute"):
        page.get_by_role("button", name=action, exact=True).click()
        page.wait_for_url(f"{stack.bka.url}/requests/{made['id']}")
    assert page.get_by_text("executed").first.is_visible()
    checked(page, "request")
    assert stack.dcsa.kix.get_request(made["id"])["state"] == "executed"
    page.context.close()


def test_a_crisis_entry_appears_live_in_another_browser(stack: Stack, browser: Any) -> None:
    theirs = stack.dcsa.kix.create_record("alerts", alert())
    room = stack.dcsa.kix.open_crisis(theirs["id"], ["de-bka"])
    watcher = new_page(browser)
    log_in(watcher, stack.bka.url, stack.bka.analyst)
    watcher.goto(f"{stack.bka.url}/crises/{room['id']}")
    writer = new_page(browser)
    log_in(writer, stack.dcsa.url, stack.dcsa.analyst)
    writer.goto(f"{stack.dcsa.url}/crises/{room['id']}")
    writer.get_by_label("Text").fill("Proof of life received at 14:05")
    writer.get_by_role("button", name="Add entry").click()
    watcher.locator("#timeline").get_by_text("Proof of life received at 14:05").wait_for(timeout=20_000)
    checked(watcher, "crisis")
    watcher.context.close()
    writer.context.close()


def test_a_case_graph_is_drawn_and_opens_a_record(stack: Stack, browser: Any) -> None:
    case = stack.bka.kix.open_case("Calabria ring", summary="Three kidnappings, one crew")
    first = stack.bka.kix.create_record("alerts", alert())
    second = stack.bka.kix.create_record("suspects", suspect())
    stack.bka.kix.add_to_case(case["id"], first["id"])
    stack.bka.kix.add_to_case(case["id"], second["id"])
    stack.bka.kix.link_in_case(case["id"], first["id"], second["id"], "suspect_in")
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(f"{stack.bka.url}/cases/{case['id']}")
    page.wait_for_selector("#graph[data-ready='2']")
    assert page.locator("#graph canvas").count() > 0
    checked(page, "case-graph")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PNG").click()
    assert download.value.suggested_filename == "case-graph.png"
    page.context.close()


def test_a_session_expires(stack: Stack, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, stack.bka.url, stack.bka.analyst)
    page.goto(stack.bka.url + "/alerts")
    time.sleep(IDLE_MINUTES * 60 + 1)
    page.goto(stack.bka.url + "/alerts")
    assert page.url == stack.bka.url + "/login"
    page.context.close()


def test_on_a_tablet_with_the_keyboard_only(stack: Stack, browser: Any) -> None:
    for country in ("IT", "MX", "NG"):
        stack.dcsa.kix.create_record("alerts", alert(place={"country": country}))
    context = browser.new_context(
        ignore_https_errors=True, viewport={"width": 820, "height": 1180}, has_touch=True
    )
    page = context.new_page()
    page.goto(stack.bka.url + "/login")
    issued = stack.bka.analyst
    page.keyboard.type(issued.name)  # the name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(issued.password)
    page.keyboard.press("Enter")
    page.wait_for_url(stack.bka.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(2):  # from the skip link past Inbox to Alerts
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Alerts"
    page.keyboard.press("Enter")
    page.wait_for_url(stack.bka.url + "/alerts")
    for path, name in [("/alerts", "alerts-tablet"), ("/", "inbox-tablet"), ("/match", "match-tablet")]:
        page.goto(stack.bka.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{path} scrolls sideways"
        )
        checked(page, name)
    context.close()
