"""Slavic names as German and French write them, read back into the English-style spelling the rest of
the matcher compares: Schewtschenko and Chevtchenko are Shevchenko, Chruschtschow and Khrouchtchev
Khrushchev, Sergej Sergei, Jewgeni Yevgeni.

German writes ч tsch, ш sch, х ch, в w, й and the iotated vowels j, ц z; French writes ч tch, ш ch, у ou,
ж j, and an -ine for -ин. Read from the Latin alone, these letters are ambiguous: ch is х in German, ш in
French and ч in English; j is й in German and ж in French. So a reading is made only where the word shows
the convention (a German sch, w or final j; a French tch or ou), and it is an extra reading, never a
replacement: two words are alike when any of their readings agree.

Words a guard keeps out, where a reading would join names that are different:
- short words (French ou in Chou, Wade-Giles for 周, is not у: read as Shu it would meet 舒);
- Korean and pinyin syllables in J (Jeon, Jeong, Ji: read with a y they would meet 연, 영, 이).
"""

import re
from functools import lru_cache

_GERMAN = re.compile(r"SCH|W|[AEIOU]J$|^JE(?!O)")
_FRENCH = re.compile(r"TCH|OU")
_SHORTEST = 5  # letters: below this no reading is made

_VOWEL_AFTER_J = re.compile(r"J(?=[AEIOU])")
_FINAL_J = re.compile(r"(?<=[AEIOU])J$")
# Russian ё after ч, ш, щ, ж is o in German (Gorbatschow) and e in English (Gorbachev).
_SOFT_OW = re.compile(r"(?<=CH|SH|ZH)OW(?=A?$)")


@lru_cache(maxsize=65536)
def rendered_readings(word: str) -> frozenset[str]:
    """Other spellings of an upper-case Latin word, if it is a Slavic name in German or French."""
    if len(word) < _SHORTEST:
        return frozenset()
    readings: set[str] = set()
    if _GERMAN.search(word) and not word.startswith("JI"):
        readings.update(_german(word))
    if _FRENCH.search(word):
        readings.add(_french(word))
    return frozenset(readings - {word})


def _german(word: str) -> set[str]:
    # ч and ш first, held apart, so that what is left of ch is х.
    word = word.replace("TSCH", "\x01").replace("SCH", "\x02").replace("CH", "KH")
    word = word.replace("\x01", "CH").replace("\x02", "SH")
    return {_german_letters(spelled) for spelled in (word, _SOFT_OW.sub("EV", word))}


def _german_letters(word: str) -> str:
    word = _FINAL_J.sub("Y", _VOWEL_AFTER_J.sub("Y", word))
    return word.replace("TZ", "TS").replace("Z", "TS").replace("W", "V")


def _french(word: str) -> str:
    # ш first (a ch not after t), then ч: Chevtchenko is Shevchenko, Khrouchtchev Khrushchev.
    word = re.sub(r"(?<!T)CH", "SH", word).replace("TCH", "CH")
    word = word.replace("OU", "U").replace("J", "ZH")
    return word[:-1] if word.endswith("INE") else word
