"""How alike two name tokens are, from 0 to 1. A token is one word of a name in upper-case Latin, knowing
the word it was written as and the variant sets it belongs to (variants.py). Two tokens are:
- the same spelling (1.0);
- variants of one name, by the variant tables (0.98): Mohammed / Muhammad / محمد, and a spelling they do
  not know that folds onto one of their forms (Mukhammad: Muhammad);
- spellings of one name by two romanisations (0.96): the same key once transliteration differences are
  folded (kh/h, ou/u, w/v, ...), or one reading of the word in common (Юрий: Yuri, Iouri, Jurij; a
  Slavic name in German or French read back, renderings.py: Schewtschenko, Chevtchenko; a Han character
  in Cantonese against Latin letters, cantonese.py: 黃 / Wong);
- alike, but not certain (0.955): consonants alike across a script without vowels (حسين / Hassan), other
  letters of one script read alike (李 / 黎, Стојановић / Стојаковић);
- known different names, both in the tables but sharing no set (at most 0.6): Mohammed / Mahmoud;
- otherwise compared by spelling on that key, which keeps vowels where they tell names apart, with two
  guards: a different first letter (Hernández / Fernández) and a different ending (Alejandro / Alejandra,
  Ivanov / Ivanova, Orlov / Orlovsky) mark different names.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from app.services.matching import cantonese, variants
from app.services.matching.normalize import fold_abjad, is_latin_script, skeleton
from app.services.matching.readings import HEBREW, other_readings
from app.services.matching.renderings import rendered_readings
from app.services.matching.typos import is_keying_error

SAME, VARIANT, SIMILAR, DIFFERENT = 1.0, 0.98, 0.96, 0.6
# Alike, but not certain: consonants alike across a script without vowels (حسين / Hassan), other letters of
# one script read alike (李 / 黎, Стојановић / Стојаковић), tone marks that differ (Hoa / Hòa). Below
# SIMILAR, so a name holding such a pair is at most a possible hit (strong needs a date of birth).
ALIKE = 0.955
_DIFFERENT_TOKEN = 0.7
_SAME_SHAPE = 0.93
_ABJAD_FOLD = str.maketrans({"Q": "K", "G": "K", "C": "K", "V": None, "W": None})
_VOWELS = re.compile(r"[AEIOUYW]")
_THAI = re.compile("[\u0e00-\u0e7f]")
_VOWEL = re.compile(r"[AEIOU]")
_ABJAD = re.compile("[\u0590-\u06ff\u0750-\u077f\u0900-\u097f\u0e00-\u0e7f\ufb1d-\ufdff\ufe70-\ufeff]")
# Spellings one name gets from different romanisations, folded away before comparing.
_KEY_RULES = [
    # Japanese long o: Yohko / Yoko, Kyohko / Kyoko (first: before y and io are folded)
    (re.compile(r"(?<=O)H(?=[^AEIOU])"), ""),
    (re.compile(r"^MP"), "B"),  # Greek μπ letter by letter: Mpakogiannis / Bakogiannis
    (re.compile(r"KH"), "H"),
    (re.compile(r"GH"), "G"),  # Georgian ღ, Armenian ղ, Arabic غ: gh, or g in Russian-mediated forms
    (re.compile(r"PH"), "F"),
    (re.compile(r"TH"), "T"),
    (re.compile(r"DZH|DJ|DZ"), "J"),
    (re.compile(r"SCH|SH|SZ|CZ|CH"), "S"),
    (re.compile(r"ZH"), "J"),
    (re.compile(r"EO"), "O"),  # Korean: Yeon / Yon, Seon / Son
    (re.compile(r"OU|OO|EU"), "U"),
    (re.compile(r"Y"), "I"),
    (re.compile(r"^IE"), "E"),  # Yevgeniy / Evgeny: Russian initial Е
    (re.compile(r"(?<=[^AEIOU])I[EO](?=[^AEIOU]|$)"), "E"),  # Afanasyev / Afanasev, Semyon / Semën
    (re.compile(r"EE|EI|II"), "I"),
    (re.compile(r"W"), "V"),
    (re.compile(r"Q|CK|C(?![EI])"), "K"),
    (re.compile(r"X"), "KS"),
    (re.compile(r"OFF$|OF$"), "OV"),
    (re.compile(r"EFF$|EF$"), "EV"),  # Pencheff / Penchev
    (re.compile(r"(?<=[AEIOU])H$"), ""),  # Abdallah / Abdulla, Sarah / Sara
    (re.compile(r"(.)\1+"), r"\1"),
]
_GENDER_ENDINGS = frozenset({("A", "O"), ("A", "E"), ("A", "I"), ("A", "U"), ("A", "")})


@lru_cache(maxsize=131072)
def variant_key(token: str) -> str:
    for pattern, replacement in _KEY_RULES:
        token = pattern.sub(replacement, token)
    return token


@dataclass(frozen=True)
class Token:
    text: str  # upper-case Latin
    key: str  # variant_key(text)
    skeleton: str
    sets: frozenset[int]  # variant sets of the written word or of its Latin form
    abjad: bool  # written in a script without vowels
    alternatives: frozenset[str]  # keys of other readings of the written word
    readings: frozenset[str]  # those readings (for their skeletons)
    written: str  # as written, folded (for tokens compared in their own script)
    native: str  # as written, when not in Latin script: two spellings in one script are two names
    spelled: str  # as written, when in Latin script, lower-case: Hoa and Hòa are two Vietnamese names
    native_sets: frozenset[int]  # variant sets of the word as written in its own script
    # Keys of a Han character's Cantonese readings (陳: Chan), against Latin letters only: between two
    # characters they would meet another system's reading (一 is yi in pinyin, 二 yi in Cantonese).
    cantonese: frozenset[str]
    # Tokens key the similarity cache, hashed twice a lookup and a name query makes thousands: hashed
    # once, from the fields that tell spellings apart (a generated hash re-hashed all twelve each time).
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.text, self.written, self.native, self.spelled)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def of(cls, text: str, written: str) -> "Token":
        return _token(text, written)

    @classmethod
    def make(cls, text: str, written: str) -> "Token":
        abjad = bool(_ABJAD.search(written))
        if abjad and written.startswith("ال") and text.startswith("L") and len(text) > 3:
            bare = text[1:]  # the article, transliterated as a bare "l"
        else:
            separate = (
                text[:2] in ("AL", "EL", "UL")
                and len(text) > 4
                and written[:3].upper() in ("AL ", "EL ", "UL ")
            )
            bare = text[2:] if separate else text
        native_sets = variants.variant_sets(written.split()[-1])
        sets = native_sets | variants.variant_sets(bare)
        key = variant_key(bare)
        latin_script = is_latin_script(written)
        readings = frozenset(
            other_readings(bare if abjad else text, written)
            | ({text} - {bare})
            | (set(rendered_readings(text)) if latin_script else set())
        )
        alternatives = frozenset({key, *(variant_key(reading) for reading in readings)})
        folded = _fold_abjad(written) if abjad else ""
        native = "" if latin_script else _unmarked(written.lower())
        spelled = written.lower() if latin_script else ""
        han = cantonese.HAN_CHARACTER.fullmatch(written)
        in_cantonese = cantonese.syllable_readings(written) if han else ()
        return cls(
            bare,
            key,
            skeleton(bare),
            sets,
            abjad,
            alternatives,
            readings,
            folded,
            native,
            spelled,
            native_sets,
            frozenset(variant_key(reading) for reading in in_cantonese),
        )


def _known_by_key(token: Token) -> frozenset[int]:
    """A token's variant sets; for a Latin spelling the tables do not know, those of the forms it folds
    onto (its key). Never a reason to call two names different: only to call them variants."""
    if token.sets or not token.spelled:
        return token.sets
    return _sets_by_key().get(token.key, frozenset())


@lru_cache(maxsize=1)
def _sets_by_key() -> dict[str, frozenset[int]]:
    """The variant sets of the tables' Latin forms by their key, where the key names one name only."""
    by_key: dict[str, list[frozenset[int]]] = {}
    for form, sets in variants.all_forms().items():
        if form.isascii() and form.isalpha():
            by_key.setdefault(variant_key(form.upper()), []).append(sets)
    return {
        key: frozenset().union(*found)
        for key, found in by_key.items()
        if all(a & b for a in found for b in found)  # no two forms of the key are different names
    }


def _unmarked(word: str) -> str:
    """Marks often left out in a script of its own (Greek tonos, Russian ё as е) taken off."""
    letters = (char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", "".join(letters))


def _shape(key: str) -> str:
    """Consonants in place, each vowel a "V": Muhammad and Mohamed share MVHVMVD, Mahmoud has MVHMVVD
    (vowel qualities vary between romanisations; where vowels are, far less)."""
    return _VOWEL.sub("V", key)


def _fold_abjad(written: str) -> str:
    word = fold_abjad(written.split()[-1])
    return word.removeprefix("ال")


def _consonants(skeleton_: str) -> str:
    """A consonant skeleton as a script without vowels writes it: a final h often not written (Абдулла);
    q, gh, g and k for one letter (قاسمی, Ghasemi); w and v as vowels; the article of "Abd al-"
    (Abdelkarim, عبد الكريم, Abdul Karim)."""
    folded = skeleton_.translate(_ABJAD_FOLD).rstrip("H")
    return "BD" + folded[3:] if folded.startswith("BDL") else folded


def _either(texts: set[str], letter: str, other: str) -> set[str]:
    """Each of the letters one reading or the other, letter by letter: בן דוד is Ben David (vav a v)."""
    for text in list(texts):
        spellings = {""}
        for char in text:
            spellings = {done + char for done in spellings} | (
                {done + other for done in spellings} if char == letter else set()
            )
        texts |= spellings
    return texts


@lru_cache(maxsize=32768)  # a token's own, asked again for each token it is compared with; about 0.5 kB each
def _consonant_forms(token: Token) -> frozenset[str]:
    texts = {token.text, *token.readings}
    if HEBREW.search(token.written):  # bet is b or v, pe p or f: the romaniser can not tell which
        texts = {spelled for text in texts for spelled in _either(_either({text}, "V", "B"), "P", "F")}
    if _THAI.search(token.written):  # aspirates written without h (ทองคำ Thongkham, Tongkam); ศรี Sri or Si
        texts |= {text.replace("KH", "K").replace("PH", "P").replace("TH", "T") for text in texts}
        texts |= {text.replace("SRI", "SI") for text in texts}
    if not token.abjad:  # French and Dutch write sh as ch: Darwiche
        texts |= {text.replace("CH", "SH") for text in texts if "CH" in text}
    forms = {_consonants(skeleton(text)) for text in texts}
    if token.abjad:  # one letter each, not digraphs: ط ه (t, h) is not ث (th)
        forms.add(_consonants(_VOWELS.sub("", token.text[:1] + _VOWELS.sub("", token.text[1:]))))
    return frozenset(forms - {""})


def _spelling(a: Token, b: Token) -> float:
    if a.abjad and b.abjad:  # both in the script they were written in: its spelling is the name's
        return (
            SAME
            if a.written == b.written
            else min(_DIFFERENT_TOKEN, Levenshtein.normalized_similarity(a.written, b.written))
        )
    if a.abjad or b.abjad or (a.key.startswith("ABD") and b.key.startswith("ABD")):
        first, second = _consonant_forms(a), _consonant_forms(b)
        if first & second:
            return ALIKE
        return 0.9 * max(
            (Levenshtein.normalized_similarity(x, y) for x in first for y in second), default=0.0
        )
    if a.key == b.key or a.alternatives & b.alternatives:
        return SIMILAR
    if _qaf(a) or _qaf(b):  # ق is q, gh or k: Qasemi, Ghasemi, Kasemi; but غ is gh too (Ghazi, Qazi)
        if a.key.replace("G", "K") == b.key.replace("G", "K"):
            return ALIKE
    if a.spelled and b.spelled and is_keying_error(a.text, b.text):  # Snadrine / Sandrine
        return ALIKE
    if a.key[:1] != b.key[:1]:  # Hernández / Fernández, Irina / Arina
        return min(_DIFFERENT_TOKEN, Levenshtein.normalized_similarity(a.key, b.key))
    known = a.sets or b.sets  # Ahmad / Ahmed, Salih / Saleh: vowels of a known name vary, its frame does not
    if (
        known
        and _shape(a.key) == _shape(b.key)
        and not (_inflected(a.key, b.key) or _inflected(b.key, a.key))
    ):
        return _SAME_SHAPE
    if max(len(a.key), len(b.key)) <= 5:  # Maria / Marta: in a short name one letter is another name
        return _DIFFERENT_TOKEN
    if _inflected(a.key, b.key) or _inflected(b.key, a.key):
        return _DIFFERENT_TOKEN
    # Edits, not shared prefixes: Bychkov / Bykov and Dimitrov / Dimov are other names.
    return Levenshtein.normalized_similarity(a.key, b.key)


def _qaf(token: Token) -> bool:
    return "Q" in token.text or "GH" in token.text


def _inflected(key: str, other: str) -> bool:
    """Another name made by an ending: Alejandro / Alejandra, Ivanov / Ivanova, Rashid / Rashidi."""
    if len(key) < 3:
        return False
    if len(key) == len(other) and key[:-1] == other[:-1]:
        return (key[-1], other[-1]) in _GENDER_ENDINGS
    if other == key + "A" or (other == key + "I" and len(key) >= 4):
        return True
    # A patronymic is not a family name: Alekseyeva / Alekseyevna, Petrov / Petrovich.
    if other.endswith(("VNA", "VIS", "ISNA")) and not key.endswith(("VNA", "VIS", "ISNA")):
        return other[:4] == key[:4]
    # A family name derived from another: Orlov / Orlovsky, Koval / Kovalchuk, Bogdanov / Bogdanovich.
    return len(key) >= 4 and other.startswith(key) and len(other) - len(key) >= 2


# Names repeat (a million records hold far fewer distinct tokens): analysed and compared tokens are kept.
@lru_cache(maxsize=131072)
def _token(text: str, written: str) -> Token:
    return Token.make(text, written)


@lru_cache(maxsize=262144)
def token_similarity(a: Token, b: Token) -> float:
    similarity = _token_similarity(a, b)
    if a.native and b.native and a.native != b.native and not a.native_sets & b.native_sets:
        # 李 / 黎 (both LI), 연 / 윤: other letters of one script, alike at best
        return min(ALIKE, similarity)
    return similarity


def _token_similarity(a: Token, b: Token) -> float:
    if a.abjad and b.abjad:  # both in the script they were written in: its spelling is the name's
        if a.written == b.written:
            return SAME
        return min(_DIFFERENT_TOKEN, Levenshtein.normalized_similarity(a.written, b.written))
    if a.text == b.text and a.native == b.native:
        return SAME
    if a.sets & b.sets:
        return VARIANT
    if a.text == b.text:
        return SAME
    if (a.cantonese & b.alternatives and b.spelled) or (b.cantonese & a.alternatives and a.spelled):
        return SIMILAR  # 黃 / Wong, as Hong Kong writes it (pinyin reads it Huang)
    if _known_by_key(a) & _known_by_key(b):
        return VARIANT  # Mukhammad, unknown to the tables, folds onto their Muhammad: Mohammed's variant
    if a.sets and b.sets and not (a.abjad or b.abjad) and not a.alternatives & b.alternatives:
        # Both known, as different names (the tables' gaps are likelier across scripts)
        return min(DIFFERENT, _spelling(a, b))
    return _spelling(a, b)
