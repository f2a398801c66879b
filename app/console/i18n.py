"""English and French: gettext catalogues (locale/<lang>/console.po, read with babel at start-up), the
language of the request (the analyst's choice in a cookie, else Accept-Language), and dates and numbers
formatted for it (babel). Templates mark text with {% trans %} and _(); English is the source text."""

import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = ("en", "fr")
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_COOKIE = "kix-console-lang"
_current: ContextVar[str] = ContextVar("console_locale", default="en")


@cache
def catalogue(locale: str) -> Mapping[Any, Any]:
    """msgid -> translation of one language (empty for English, the source); a plural's msgid and
    translation are tuples."""
    path = LOCALE_DIR / locale / "console.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        read = read_po(handle, locale=locale)
    found: dict[Any, Any] = {}
    for message in read:
        if message.id and message.string:
            key = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
            value = tuple(message.string) if isinstance(message.string, list | tuple) else message.string
            found[key] = value
    return found


def gettext(message: str) -> str:
    found = catalogue(_current.get()).get(message)
    return found if isinstance(found, str) and found else message


def ngettext(singular: str, plural: str, count: int) -> str:
    found = catalogue(_current.get()).get((singular, plural))
    if isinstance(found, tuple) and all(found):
        return found[0] if count == 1 or (_current.get() == "fr" and count == 0) else found[-1]
    return singular if count == 1 else plural


def use(locale: str) -> None:
    _current.set(locale if locale in LOCALES else LOCALES[0])


def current() -> str:
    return _current.get()


def choose(cookie: str | None, accept_language: str | None, default: str) -> str:
    """The analyst's choice, else the browser's first language we have, else the console's default."""
    if cookie in LOCALES:
        return cookie
    wanted = []
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag:
            wanted.append(tag)
    try:
        chosen = Locale.negotiate(wanted, list(LOCALES)) if wanted else None
    except (UnknownLocaleError, ValueError):
        chosen = None
    return str(chosen.language) if chosen is not None else default


def moment(value: str | datetime | None) -> str:
    """A timestamp in the request's language (UTC, as KIX keeps them)."""
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return format_datetime(when, "medium", tzinfo=UTC, locale=current()) + " UTC"


def number(value: int | float | str | None) -> str:
    if value is None or value == "":
        return ""
    return format_decimal(value, locale=current())


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def shown(value: object) -> str:
    """A record's field as an analyst reads it: timestamps in their language, yes/no, a dash for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and ISO_MOMENT.match(value):
        return moment(value)
    return str(value)
