"""Slavic names as German and French write them, read back into the English-style spelling the rest of
the matcher compares: Schewtschenko and Chevtchenko are Shevchenko, Chruschtschow and Khrouchtchev
Khrushchev, Sergej Sergei, Jewgeni Yevgeni.

German writes ч tsch, ш sch, х ch, в w, й and the iotated vowels j, ц z; French writes ч tch, ш ch, у ou,
ж j, and an -ine for -ин. Read from the Latin alone, these letters are ambiguous: ch is х in German, ш in
French and ч in English; j is й in German and ж in French. So a reading is made only where the word shows
the convention (a German sch, w or final j; a French tch, ou, gue or a j inside the word), and it is an
extra reading, never a replacement: two words are alike when any of their readings agree. Umlauts written
out (Oeztuerk, Mueller: Öztürk, Müller) and Chr- for the Greek and Bulgarian х (Christo: Hristo) are read
the same way.

Words a guard keeps out, where a reading would join names that are different:
- short words (French ou in Chou, Wade-Giles for 周, is not у: read as Shu it would meet 舒);
- Korean and pinyin syllables in J (Jeon, Jeong, Ji: read with a y they would meet 연, 영, 이).
"""

import re
from functools import lru_cache

_GERMAN = re.compile(r"SCH|W|[AEIOUY]J$|^JE(?!O)")
_FRENCH = re.compile(r"TCH|OU|GU[EI]|(?<=.)J(?=[AEIOU])")
# A French -ine is -ин only beside another French letter: Raspoutine, Prigojine (Justine is Justin's sister).
_FRENCH_INE = re.compile(r"TCH|OU|(?<=.)J(?=[AEIOU])")
# Ö and Ü written out; not the -el and -uel of Michael, Samuel, Manuel.
_UMLAUT = re.compile(r"([OU])E(?=[^AEIOU])(?!L$)")
_SHORTEST = 5  # letters: below this no reading is made

_VOWEL_AFTER_J = re.compile(r"J(?=[AEIOU])")
_FINAL_J = re.compile(r"(?<=[AEIOUY])J$")
# Where sch may be ж as well as ш: beside other signs of a Slavic name (Prigoschin, Breschnew), not in
# a German one (Schön read Zhon would meet Jon).
_SLAVIC = re.compile(r"W|[AEIOUY]J$|INA?$")
_VOICED_S = re.compile(r"(?:^|(?<=[AEIOU]))S(?=[AEIOU])")  # German s before a vowel is з: Selenskyj
# Russian ё after ч, ш, щ, ж is o in German (Gorbatschow) and e in English (Gorbachev).
_SOFT_OW = re.compile(r"(?<=CH|SH|ZH)OW(?=A?$)")


@lru_cache(maxsize=65536)
def rendered_readings(word: str) -> tuple[str, ...]:
    """Other spellings of an upper-case Latin word, if it is a Slavic name in German or French, a name
    with umlauts written out (Oeztuerk, Mueller), or Greek or Bulgarian Chr- (Christo: Hristo); the
    likeliest first (a Slavic name's English spelling, with ш for sch), which the blind index keys."""
    if len(word) < _SHORTEST:
        return ()
    readings: list[str] = []
    if _GERMAN.search(word) and not word.startswith("JI"):
        readings += _german(word)
    if _FRENCH.search(word):
        readings.append(_french(word))
    if _UMLAUT.search(word):
        readings.append(_UMLAUT.sub(r"\1", word))
    if word.startswith("CHR"):
        readings.append("KH" + word[2:])
    return tuple(dict.fromkeys(reading for reading in readings if reading != word))


def _german(word: str) -> list[str]:
    slavic = bool(_SLAVIC.search(word))
    # ч (tsch) and ш or ж (sch) held apart, so that what is left of ch is х, and z and s can be read.
    word = word.replace("TSCH", "\x01").replace("SCH", "\x02").replace("CH", "KH")
    word = word.replace("TZ", "TS").replace("Z", "TS")
    word = _FINAL_J.sub("Y", _VOWEL_AFTER_J.sub("Y", word))
    spellings = [word.replace("\x02", "SH")]
    if slavic:
        spellings.append(word.replace("\x02", "ZH"))  # Schukow is Zhukov
    if _VOICED_S.search(word):  # s is с (Sergej) or з (Selenskyj)
        spellings += [_VOICED_S.sub("Z", spelled) for spelled in spellings]
    spellings = [spelled.replace("\x01", "CH") for spelled in spellings]
    spellings += [_SOFT_OW.sub("EV", spelled) for spelled in spellings]
    return [spelled.replace("W", "V") for spelled in spellings]


def _french(word: str) -> str:
    # ш first (a ch not after t), then ч: Chevtchenko is Shevchenko, Khrouchtchev Khrushchev.
    french_ine = bool(_FRENCH_INE.search(word))
    word = re.sub(r"(?<!T)CH", "SH", word).replace("TCH", "CH")
    word = word.replace("OU", "U").replace("J", "ZH").replace("GUE", "GE").replace("GUI", "GI")
    return word[:-1] if french_ine and word.endswith("INE") else word
