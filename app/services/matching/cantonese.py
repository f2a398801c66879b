"""Chinese names in Han characters as Hong Kong and Macau write them in Latin letters: the Hong Kong
Government Cantonese Romanisation (陳大文 is Chan Tai Man, 曾偉 Tsang Wai, 歐陽 Au Yeung), where pinyin
reads the same characters Chen Dawen, Zeng Wei, Ouyang. A name in Han characters gets these readings
beside its pinyin and Wade-Giles ones, so a record written either way is found by the other.

The readings come from the `cantonese-romanisation` package's table (MIT; some 13,000 characters, each
with the romanisations it is given in several systems: 曾 chang, jang, tsang), the Hong Kong Government's
spelling first. Its tables take about 20 MB, so they are loaded on the first name in Han characters, as
the Japanese dictionary is (japanese.py)."""

import re
from functools import lru_cache
from itertools import islice, product
from typing import Any

from app.collector import settle

HAN_CHARACTER = re.compile("[\u4e00-\u9fff]")  # one character of a name that may be read in Cantonese
MOST_READINGS = 3  # readings of a whole name, at most, for its blind-index keys (a character has 1 to 3)


@lru_cache(maxsize=1)
def _table() -> Any:
    # Imported here, not at the top: importing loads the tables (see the module's note).
    from cantoroman import Cantonese  # type: ignore[import-untyped]  # noqa: PLC0415

    table = Cantonese()
    settle()  # its tables live as long as the worker: kept out of every later full collection
    return table


@lru_cache(maxsize=16384)
def syllable_readings(character: str) -> tuple[str, ...]:
    """The Cantonese romanisations of one Han character, upper case, the Hong Kong Government's own
    spelling first (大: TAI, then DAI, DAAI); none if unknown."""
    [readings] = _table().getRoman(character)
    return tuple(sorted((reading.upper() for reading in readings), key=_unlike_hong_kong))


# The Hong Kong Government's spelling writes the unaspirated stops and affricates p, t, k, ts (Yale and
# others b, d, g, j, z), and a long a single: Tai, Ka, Tsang, Naam as Nam.
_OTHER_SYSTEMS = re.compile(r"^[BDGJZ]|AA")


def _unlike_hong_kong(reading: str) -> tuple[bool, str]:
    return bool(_OTHER_SYSTEMS.search(reading)), reading


def name_readings(characters: list[str]) -> list[list[str]]:
    """A name's characters read in Cantonese, each reading a list of syllables, at most MOST_READINGS
    (every character's first reading first); none if a character has no reading."""
    choices = [syllable_readings(character) for character in characters]
    if not characters or not all(choices):
        return []
    return [list(chosen) for chosen in islice(product(*choices), MOST_READINGS)]
