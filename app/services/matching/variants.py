"""Name variant knowledge: which spellings, across languages and scripts, are one name.

The equivalence sets come from the `name-variants` package (MIT; romanisation tables for Chinese,
Japanese, Korean, Arabic, Persian, Hebrew, Greek, Hindi, Tamil, Bengali, Thai, Turkish, Russian,
Vietnamese and Malay names, each a set of co-equal forms in native script and Latin, with how many people
bear the name). Two tokens in one set are variants of one name (Mohammed, Muhammad, محمد); two tokens that
are both known but share no set are different names, however alike they look (Mohammed and Mahmoud,
Hassan and Hussein). Given names of Europe in their forms across languages are added (language_forms.py).
A token in no set is unknown here, and the scorer falls back on spelling.

How common a name is says how much a match on it weighs: "Wang" or "Mohammed" is weak evidence.
"""

import unicodedata
from functools import lru_cache
from math import log10

import name_variants  # type: ignore[import-untyped]

from app.services.matching.language_forms import LANGUAGE_FORMS

# Bearers of the commonest names in the tables are in the hundreds of millions; a name with about a
# million bearers or fewer counts fully.
_FULL_WEIGHT_BEARERS = 1_000_000
_MIN_WEIGHT = 0.4


def fold(text: str) -> str:
    """Lower case without accents: how forms are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("-", "")


# Tables of family names of cultures that write the family name first.
_FAMILY_FIRST_TABLES = frozenset({"chinese", "korean", "japanese", "vietnamese"})


def _build() -> tuple[dict[str, frozenset[int]], dict[int, int], frozenset[int]]:
    sets: dict[str, set[int]] = {}
    bearers: dict[int, int] = {}
    family_first: set[int] = set()
    number = 0
    for table_name, table in name_variants.ALL_TABLES.items():
        for native, entry in table.items():
            number += 1
            bearers[number] = int(entry.get("frequency") or 0)
            if table_name in _FAMILY_FIRST_TABLES:
                family_first.add(number)
            for form in {native, *entry["forms"]}:
                sets.setdefault(fold(form), set()).add(number)
    for forms in LANGUAGE_FORMS:
        number += 1
        bearers[number] = 0
        # A form already in a set of the tables joins this set to that one: Giorgio is Georgios too.
        joined = {number}.union(*(sets.get(fold(form), set()) for form in forms))
        for form in forms:
            sets.setdefault(fold(form), set()).update(joined)
    return {form: frozenset(ids) for form, ids in sets.items()}, bearers, frozenset(family_first)


_SETS, _BEARERS, _FAMILY_FIRST = _build()


def all_forms() -> dict[str, frozenset[int]]:
    """Every form the tables know (folded), with its sets."""
    return _SETS


def family_name_first(sets: frozenset[int]) -> bool:
    """Whether a token is a family name of a culture that writes it first (Wang, Kim, Nguyen)."""
    return bool(sets & _FAMILY_FIRST)


@lru_cache(maxsize=65536)
def variant_sets(form: str) -> frozenset[int]:
    """The equivalence sets a written form belongs to (empty when unknown)."""
    return _SETS.get(fold(form), frozenset())


def weight(sets: frozenset[int]) -> float:
    """How much a match on a name in these sets weighs, from 1 (rare or unknown) down to 0.4 (very
    common): log-scaled by its bearers."""
    bearers = max((_BEARERS[number] for number in sets), default=0)
    if bearers <= _FULL_WEIGHT_BEARERS:
        return 1.0
    return max(_MIN_WEIGHT, 1.0 - 0.25 * log10(bearers / _FULL_WEIGHT_BEARERS))
