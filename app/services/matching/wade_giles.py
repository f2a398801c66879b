"""A Chinese name written in Wade-Giles (Taiwan, Hong Kong records, older files) read in pinyin: Teng
Hsiao-ping is Deng Xiaoping, Mao Tse-tung Mao Zedong, Chiang Ching-kuo Jiang Jingguo.

Written in Han characters, a name is already read both ways (readings.py). Written in Latin letters, it
must be read back, and Wade-Giles without its apostrophes is ambiguous: ch is zh or j (ch' is ch or q), k
g or k, p b or p, t d or t, ts and tz z or c. So a name gets every pinyin reading its syllables allow (at
most MOST_READINGS), with the syllables of a hyphenated given name joined as pinyin writes them.

Only a name whose every syllable is one of Wade-Giles, and which shows a sign of it that pinyin never
writes (hs, ts, tz, ssu, ih, ieh, ien, a ch before i and a vowel), is read: Tang Wei or Kim Ji-hoon
stays as written.
"""

import re
from functools import lru_cache
from itertools import islice, product

MOST_READINGS = 8

_INITIALS = "CH|HS|TS|TZ|SS|SZ|SH|J|K|P|T|M|F|L|N|H|Y|W|S|"
_FINALS = (
    "A|AI|AN|ANG|AO|E|EI|EN|ENG|EH|ERH|I|IA|IANG|IAO|IEH|IEN|IH|IN|ING|IU|IUNG|O|OU|U|UA|UAI|UAN|UANG|"
    "UEH|UEI|UI|UN|UNG|UO|Ü|ÜAN|ÜEH|ÜN"
)
_SYLLABLE = re.compile(rf"(?:{_INITIALS})(?:{_FINALS})")
_SIGN = re.compile(r"^HS|^TS|^TZ|^SS|^SZ|^CHI[AEOU]|^[CS]HIH$|^JIH$|IEH$|IEN$")

# Each Wade-Giles initial's pinyin ones (apostrophes are gone: aspirated and plain read alike).
_INITIAL_READINGS = {
    "CH": ("ZH", "CH"),
    "HS": ("X",),
    "TS": ("Z", "C"),
    "TZ": ("Z", "C"),
    "SS": ("S",),
    "SZ": ("S",),
    "J": ("R",),
    "K": ("G", "K"),
    "P": ("B", "P"),
    "T": ("D", "T"),
}
# Syllables without an initial, as pinyin writes them (after the finals above are read).
_BARE = {"I": "YI", "IN": "YIN", "ING": "YING", "U": "WU", "UN": "WEN", "ONG": "WENG", "UI": "WEI"}
_BARE |= {final: "Y" + final[1:] for final in ("IA", "IAO", "IE", "IAN", "IU", "IANG", "IONG")}
_BARE |= {final: "W" + final[1:] for final in ("UA", "UAI", "UAN", "UANG", "UO")}
_BY_LENGTH = sorted(_INITIALS.split("|"), key=len, reverse=True)  # the empty one last
_FINAL_READINGS = {"IEN": "IAN", "IEH": "IE", "UNG": "ONG", "IUNG": "IONG", "UEI": "UI", "ÜAN": "UAN"}


@lru_cache(maxsize=16384)
def pinyin_readings(name: str) -> tuple[str, ...]:
    """The name in pinyin, if it is written in Wade-Giles (see the module's note); none otherwise."""
    words = [word.split("-") for word in name.upper().replace("'", "").split()]
    syllables = [syllable for word in words for syllable in word]
    if not syllables or not all(_SYLLABLE.fullmatch(syllable) for syllable in syllables):
        return ()
    if not any(_SIGN.search(syllable) for syllable in syllables):
        return ()
    choices = [_read(syllable) for syllable in syllables]
    readings = []
    for chosen in islice(product(*choices), MOST_READINGS):
        read = iter(chosen)
        readings.append(" ".join("".join(next(read) for _ in word) for word in words))
    return tuple(readings)


def _read(syllable: str) -> tuple[str, ...]:
    initial = next((start for start in _BY_LENGTH if syllable.startswith(start)), "")
    final = syllable[len(initial) :]
    buzzed = final == "IH" or (final in ("U", "Ü") and initial in ("TZ", "SS", "SZ"))  # chih, tzu, ssu
    if buzzed:
        final = "I"
    elif final == "O" and initial in ("K", "H"):  # ko, ho: ge, he
        final = "E"
    final = _FINAL_READINGS.get(final, final).replace("Ü", "U")
    if not initial:  # pinyin writes a syllable without an initial with y or w: ing ying, uei wei
        return (_BARE.get(final, final),)
    if initial == "Y":
        final = {"EN": "AN", "EH": "E"}.get(final, final)  # yen, yeh: yan, ye
    if initial == "CH" and final.startswith("I") and not buzzed:
        starts: tuple[str, ...] = ("J", "Q")  # chi-: ji- or qi-
    else:
        starts = _INITIAL_READINGS.get(initial, (initial,))
    return tuple(start + final for start in starts)
