"""What the console serves besides pages: the vendored libraries unchanged (their digests as recorded in
static/VENDORED.md), and a French catalogue that translates every text the console marks."""

import hashlib
import re
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app.console import i18n

CONSOLE = Path(i18n.__file__).parent
REPO = CONSOLE.parents[1]


def test_vendored_files_are_the_packages_own() -> None:
    table = (CONSOLE / "static" / "VENDORED.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+\.js) \|.*\| ([0-9a-f]{64}) \|$", table, re.MULTILINE)
    assert {name for name, _ in rows} == {"htmx.min.js", "cytoscape.min.js"}
    for name, digest in rows:
        assert hashlib.sha256((CONSOLE / "static" / name).read_bytes()).hexdigest() == digest, name


def test_every_marked_text_has_a_french_translation(tmp_path: Path) -> None:
    template = tmp_path / "console.pot"
    extract = ["pybabel", "--quiet", "extract", "-F", str(CONSOLE / "babel.cfg"), "-k", "_", "-k", "gettext"]
    extract += ["-k", "ngettext:1,2", "-o", str(template), str(REPO / "app" / "console")]
    CommandLineInterface().run(extract)
    with template.open("rb") as handle:
        marked = [message.id for message in read_po(handle) if message.id]
    french = i18n.catalogue("fr")
    missing = [
        msgid
        for msgid in marked
        if (tuple(msgid) if isinstance(msgid, list | tuple) else msgid) not in french
    ]
    assert len(marked) > 150
    assert not missing


def test_dates_and_numbers_follow_the_language() -> None:
    i18n.use("fr")
    assert i18n.number(1234567) == "1\u202f234\u202f567"
    assert "nov." in i18n.moment("2026-11-29T10:00:00+00:00")
    i18n.use("en")
    assert i18n.number(1234567) == "1,234,567"
    assert i18n.moment("2026-11-29T10:00:00+00:00").startswith("Nov 29, 2026")


def test_the_language_is_the_analysts_choice_else_the_browsers() -> None:
    assert i18n.choose("fr", "en-GB,en;q=0.9", "en") == "fr"
    assert i18n.choose(None, "fr-CA,fr;q=0.9,en;q=0.5", "en") == "fr"
    assert i18n.choose(None, "de-DE,de;q=0.9", "en") == "en"
    assert i18n.choose("xx", None, "fr") == "fr"
