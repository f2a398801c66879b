"""Other Latin readings of a word than the one romanisation gives it: Cyrillic by Ukrainian, Serbian and
Bulgarian rules, Greek letter by letter, Han syllables in Wade-Giles (in Cantonese: cantonese.py), Hangul
in the older Korean romanisation, kana with long vowels shortened and in Kunrei-shiki, and an Arabic
article with and without. The scorer counts two tokens alike when any of their readings agree."""

import re

from app.services.matching.normalize import is_latin_script, latin, name_tokens

# Ukrainian, Belarusian and Serbian/Bulgarian readings of Cyrillic letters that Russian-based
# romanisation (anyascii) gets otherwise: Галина is Halyna in Ukraine, Григорій Hryhorii.
_CYRILLIC_READINGS = (
    str.maketrans({"Г": "H", "г": "h", "И": "Y", "и": "y", "І": "I", "і": "i", "Є": "Ye", "є": "ie"}),
    str.maketrans({"Ц": "C", "ц": "c", "Ћ": "C", "ћ": "c", "Ђ": "Dj", "ђ": "dj"}),  # Serbian Latin
    str.maketrans({"Ъ": "A", "ъ": "a", "Щ": "Sht", "щ": "sht"}),
    str.maketrans({"Ъ": "U", "ъ": "u", "Щ": "Sht", "щ": "sht"}),  # Bulgarian before 2009: Krusteva
)
_CYRILLIC = re.compile("[\u0400-\u04ff]")
# Greek as the letters read one by one, as many passports and older records romanise it (Lampraki for
# Λαμπράκη, Evangelou for Ευαγγέλου, Kiriaki for Κυριακή).
_GREEK_READINGS = (
    (("μπ", "mp"), ("ντ", "nt"), ("γγ", "ng"), ("γκ", "gk"), ("χ", "ch"), ("Χ", "Ch")),
    (("ου", "ou"), ("ού", "ou"), ("υ", "i"), ("ύ", "i"), ("Υ", "I")),
)
_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
HEBREW = re.compile("[\u0590-\u05ff]")


_HAN = re.compile("[\u4e00-\u9fff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
# Pinyin to Wade-Giles, the romanisation of Taiwan and of older records (郭 Guo / Kuo, 强 Qiang / Chiang):
# whole syllables first, then initials and finals.
_WADE_GILES_SYLLABLES = {
    "ZHI": "CHIH",
    "CHI": "CHIH",
    "SHI": "SHIH",
    "RI": "JIH",
    "ZI": "TZU",
    "CI": "TZU",
    "SI": "SSU",
    "YAN": "YEN",
    "YE": "YEH",
    "YOU": "YU",
    "HE": "HO",
    "GE": "KO",
    "KE": "KO",
    "E": "O",
}
_WADE_GILES_INITIALS = [
    ("ZH", "CH"),
    ("Q", "CH"),
    ("J", "CH"),
    ("X", "HS"),
    ("Z", "TS"),
    ("C", "TS"),
    ("R", "J"),
    ("B", "P"),
    ("D", "T"),
    ("G", "K"),
]
_WADE_GILES_FINALS = [("IAN", "IEN"), ("ONG", "UNG"), ("IE", "IEH"), ("UI", "UEI")]
# Revised Romanisation to McCune-Reischauer initials (조 Jo / Cho, 동 Dong / Tong).
_KOREAN_INITIALS = [("G", "K"), ("D", "T"), ("B", "P"), ("J", "CH")]


def _wade_giles(syllable: str) -> str:
    if syllable in _WADE_GILES_SYLLABLES:
        return _WADE_GILES_SYLLABLES[syllable]
    for pinyin, wade_giles in _WADE_GILES_INITIALS:
        if syllable.startswith(pinyin) and not syllable.startswith(("CH", "SH")) or syllable.startswith("ZH"):
            syllable = wade_giles + syllable[len(pinyin) :]
            break
    for pinyin, wade_giles in _WADE_GILES_FINALS:
        if syllable.endswith(pinyin):
            return syllable[: -len(pinyin)] + wade_giles
    return syllable


_KANA = re.compile("[\u3040-\u30ff]")
# Japanese long vowels are written ou, oo, ō, ô, oh or o (佐藤 Satou, Satō, Satoh, Sato); Kunrei-shiki
# romanises what Hepburn writes shi, chi, tsu, ji, fu as si, ti, tu, zi, hu (Tutiya / Tsuchiya).
_LONG_VOWELS = [("OU", "O"), ("OO", "O"), ("UU", "U")]
_KUNREI = [("SH", "SY"), ("CH", "TY"), ("TSU", "TU"), ("J", "ZY"), ("FU", "HU")]


def _japanese_readings(text: str) -> set[str]:
    short = text
    for long, vowel in _LONG_VOWELS:
        short = short.replace(long, vowel)
    kunrei = short
    for hepburn, other in _KUNREI:
        kunrei = kunrei.replace(hepburn, other)
    kunrei = kunrei.replace("SYI", "SI").replace("TYI", "TI").replace("ZYI", "ZI")
    return {short, kunrei}


def _korean_older(syllable: str) -> str:
    for revised, older in _KOREAN_INITIALS:
        if syllable.startswith(revised):
            return older + syllable[len(revised) :]
    return syllable


_ARMENIAN = re.compile("[\u0531-\u0587]")
_ARMENIAN_FAMILY = re.compile("(?:YAN|IAN)(?:TS)?$")
# Western Armenian reads the stops of Eastern the other way round (Պողոսյան is Poghosyan in Yerevan and
# Boghossian in Beirut, Վարդանյան Vardanyan and Vartanian): a reading with each stop voiced meets both.
_UNVOICED_STOP = re.compile("[PTK](?![HS])")
_VOICED = {"P": "B", "T": "D", "K": "G"}


def _armenian_voiced(text: str) -> str:
    return _UNVOICED_STOP.sub(lambda found: _VOICED[found[0]], text)


def _joined_particles(written: str) -> set[str]:
    """A family name written after particles, as it is also written with them joined: de la Cruz as
    Delacruz and Lacruz, van den Berg as Vandenberg, Le Goff as Legoff."""
    words = [re.sub("[^A-Z]", "", latin(word).upper()) for word in written.split()]
    return {"".join(words[start:]) for start in range(len(words) - 1)}


def other_readings(text: str, written: str) -> set[str]:
    """Other Latin spellings of the written word: its Cyrillic read by other national systems; with and
    without an Arabic article joined to it (Alrashid, Al-Rashid, Rashid; El Amine, Lamine)."""
    readings = set()
    if _CYRILLIC.search(written):
        for reading in _CYRILLIC_READINGS:
            tokens = name_tokens(written.translate(reading))
            if tokens:
                readings.add(tokens[-1])
    if _GREEK.search(written):
        for replacements in _GREEK_READINGS:
            word = written
            for greek, roman in replacements:
                word = word.replace(greek, roman)
            tokens = name_tokens(word)
            if tokens:
                readings.add(tokens[-1])
    if text[:2] in ("AL", "EL", "UL") and len(text) > 4:
        readings.update({text, text[2:]})
        if written[:3].upper() in ("AL ", "EL ", "UL "):  # the article written apart, run in in the Maghreb:
            readings.add("L" + text[2:])  # El Amine, Lamine
    if " " in written and is_latin_script(written):
        readings.update(_joined_particles(written))
    if _ARMENIAN.search(written) or (_ARMENIAN_FAMILY.search(text) and is_latin_script(written)):
        readings.add(_armenian_voiced(text))
    if _HAN.search(written):
        readings.add(_wade_giles(text))
    if _HANGUL.search(written):
        readings.add(_korean_older(text))
    if _KANA.search(written):
        readings.update(_japanese_readings(text))
    return readings - {text}
