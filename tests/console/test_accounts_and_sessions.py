"""Logging in to the console: argon2id passwords, TOTP for supervisors (once per code), lockout, sessions
with idle and absolute expiry in signed HttpOnly, Secure, SameSite=Strict cookies, disabled analysts."""

from datetime import timedelta

import pyotp
from typer.testing import CliRunner

from app.cli import cli
from app.console.accounts import LOCKOUT_ATTEMPTS, Issued, Role
from tests.console.conftest import LOGIN_TOKEN, Console, csrf_of


def test_an_analyst_logs_in_and_the_cookie_is_locked_down(console: Console) -> None:
    issued = console.add("ana")
    assert console.accounts.engine.url.database
    answer = console.log_in(issued)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = next(
        value for name, value in answer.headers.multi_items() if value.startswith("__Host-kix-console=")
    )
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= attributes
    assert not any(part.startswith("domain") for part in attributes)
    inbox = console.browser.get("/")
    assert inbox.status_code == 200
    assert "ana (analyst)" in inbox.text


def test_the_password_is_stored_as_an_argon2id_hash(console: Console) -> None:
    issued = console.add("ana")
    with console.accounts.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT password_hash FROM console_analysts").scalar_one()
    assert stored.startswith("$argon2id$")
    assert issued.password not in stored


def test_every_refusal_looks_the_same(console: Console) -> None:
    issued = console.add("ana")
    wrong = Issued("ana", Role.ANALYST, "not-the-password", None, None)
    unknown = Issued("nobody", Role.ANALYST, issued.password, None, None)
    console.accounts.add("off", Role.ANALYST)
    console.accounts.disable("off")
    disabled = Issued("off", Role.ANALYST, "whatever", None, None)
    answers = [console.log_in(wrong), console.log_in(unknown), console.log_in(disabled)]
    assert [answer.status_code for answer in answers] == [401, 401, 401]
    pages = {LOGIN_TOKEN.sub("", answer.text) for answer in answers}  # the token differs on each render
    assert len(pages) == 1
    assert console.browser.get("/", follow_redirects=False).headers["location"] == "/login"


def test_repeated_failures_lock_the_account_until_the_lockout_ends(console: Console) -> None:
    issued = console.add("ana")
    wrong = Issued("ana", Role.ANALYST, "guess", None, None)
    for _ in range(LOCKOUT_ATTEMPTS):
        assert console.log_in(wrong).status_code == 401
    assert console.log_in(issued).status_code == 401  # the right password, but locked
    console.clock.offset += timedelta(minutes=16)
    assert console.log_in(issued).status_code == 303


def test_a_supervisor_needs_a_fresh_totp_code(console: Console) -> None:
    issued = console.add("sam", Role.SUPERVISOR)
    assert issued.totp_secret
    assert console.log_in(issued, code="").status_code == 401
    someone_elses = pyotp.TOTP(pyotp.random_base32()).now()
    assert console.log_in(issued, code=someone_elses).status_code == 401
    code = pyotp.TOTP(issued.totp_secret).now()
    assert console.log_in(issued, code=code).status_code == 303
    # The same code again, from another browser: refused (it was used).
    assert console.log_in(issued, console.make_browser(), code=code).status_code == 401


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(console: Console) -> None:
    console.signed_in("ana")
    console.clock.offset += timedelta(minutes=29)
    assert console.browser.get("/").status_code == 200  # activity restarts the idle time
    console.clock.offset += timedelta(minutes=29)
    assert console.browser.get("/").status_code == 200
    console.clock.offset += timedelta(minutes=31)
    assert console.browser.get("/", follow_redirects=False).headers["location"] == "/login"

    console.signed_in("bea", browser=(other := console.make_browser()))
    started = console.clock.offset
    for _ in range(40):  # busy all day and night: a request every 25 minutes
        console.clock.offset += timedelta(minutes=25)
        if other.get("/", follow_redirects=False).status_code != 200:
            break
    assert timedelta(hours=12) <= console.clock.offset - started < timedelta(hours=12, minutes=25)
    assert other.get("/", follow_redirects=False).headers["location"] == "/login"


def test_a_disabled_analyst_is_out_at_once_and_can_not_log_in(console: Console) -> None:
    issued = console.signed_in("ana")
    console.accounts.disable("ana")
    assert console.browser.get("/", follow_redirects=False).status_code == 303
    assert console.log_in(issued).status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(console: Console) -> None:
    console.signed_in("ana")
    page = console.browser.get("/")
    assert console.browser.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert (
        console.browser.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False).status_code
        == 403
    )
    assert console.browser.get("/").status_code == 200  # still in
    answer = console.browser.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert answer.status_code == 303
    assert console.browser.get("/", follow_redirects=False).headers["location"] == "/login"


def test_the_login_form_refuses_a_post_without_its_token(console: Console) -> None:
    issued = console.add("ana")
    form = {"name": "ana", "password": issued.password, "login_token": "made-up"}
    assert console.browser.post("/login", data=form, follow_redirects=False).status_code == 400
    assert console.browser.get("/", follow_redirects=False).status_code == 303


def test_a_forged_session_cookie_is_ignored(console: Console) -> None:
    console.signed_in("ana")
    browser = console.make_browser()
    cookie = next(iter(console.browser.cookies.jar))
    browser.cookies.set(cookie.name, cookie.value[:-2] + "xx", domain=cookie.domain, path="/")
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_users_commands(console: Console) -> None:
    runner = CliRunner()
    data_dir = str(console.accounts.engine.url.database).rsplit("/", 1)[0]
    added = runner.invoke(
        cli, ["console", "users", "add", "sam", "--role", "supervisor", "--data-dir", data_dir]
    )
    assert added.exit_code == 0, added.output
    assert "password: " in added.output
    assert "otpauth://totp/" in added.output
    assert runner.invoke(cli, ["console", "users", "add", "sam", "--data-dir", data_dir]).exit_code != 0
    assert runner.invoke(cli, ["console", "users", "add", "Bad Name", "--data-dir", data_dir]).exit_code != 0
    assert runner.invoke(cli, ["console", "users", "disable", "sam", "--data-dir", data_dir]).exit_code == 0
    listed = runner.invoke(cli, ["console", "users", "list", "--data-dir", data_dir])
    assert "sam\tsupervisor\tdisabled" in listed.output
    reset = runner.invoke(cli, ["console", "users", "reset", "sam", "--data-dir", data_dir])
    assert reset.exit_code == 0
    assert (
        "sam\tsupervisor\tactive"
        in runner.invoke(cli, ["console", "users", "list", "--data-dir", data_dir]).output
    )
    password = next(line for line in reset.output.splitlines() if line.startswith("password: ")).split(
        ": ", 1
    )[1]
    secret = next(line for line in reset.output.splitlines() if line.startswith("TOTP secret: ")).split(
        ": ", 1
    )[1]
    assert console.log_in(Issued("sam", Role.SUPERVISOR, password, secret, None)).status_code == 303
