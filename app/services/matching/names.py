"""How alike two person names are, from 0 to 1, and what the likeness is made of.

A name is a list of tokens in Latin script (normalize.name_parts: Han and Hangul split into syllables,
articles joined, particles and honorifics dropped), each knowing the word it was written as and the
variant sets it belongs to (variants.py). Two tokens are:
- the same spelling (1.0);
- variants of one name, by the variant tables (0.98): Mohammed / Muhammad / محمد;
- known different names, both in the tables but sharing no set (at most 0.6): Mohammed / Mahmoud;
- otherwise compared by spelling, on a key that folds transliteration differences (kh/h, ou/u, w/v, ...)
  but keeps vowels where they tell names apart, with two guards: a different first letter (Hernández /
  Fernández) and a different final vowel (Alejandro / Alejandra, Ivanov / Ivanova) mark different names;
  a token written in a script without vowels (Arabic, Hebrew) is compared by consonant skeleton.

Syllables written apart on one side and together on the other (Xiao Ming / Xiaoming, bin Laden /
Binladen) are joined before pairing. Tokens are then paired, best first. The family name (the first token
of a Han or Hangul name, of a name written "FAMILY, Given", otherwise the last) decides: a different
family name is no hit; a different given name with the same family name is at most possible; a token
left without a partner (a middle name, a patronymic) costs a little. Common names weigh less in the mean.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from app.services.matching import variants
from app.services.matching.normalize import fold_abjad, name_key, name_parts, skeleton
from app.services.matching.readings import HEBREW, other_readings

MATCH_THRESHOLD = 0.90  # at least a possible hit
STRONG_THRESHOLD = 0.95
EXACT, STRONG, POSSIBLE = "exact", "strong", "possible"

SAME, VARIANT, SIMILAR, DIFFERENT = 1.0, 0.98, 0.96, 0.6
_UNPAIRED_FACTOR = 0.97
_GIVEN_DIFFERENT_CAP = 0.92  # the same family name, another given name: possible at most
_FAMILY_DIFFERENT_CAP = 0.85  # another family name: no hit
_DIFFERENT_TOKEN = 0.7
_SAME_SHAPE = 0.93
_ABJAD_FOLD = str.maketrans({"Q": "K", "G": "K", "C": "K", "V": None, "W": None})
_VOWELS = re.compile(r"[AEIOUYW]")
_VOWEL = re.compile(r"[AEIOU]")
_ABJAD = re.compile("[\u0590-\u06ff\u0750-\u077f\u0900-\u097f\u0e00-\u0e7f\ufb1d-\ufdff\ufe70-\ufeff]")
_FAMILY_FIRST = re.compile("[\u4e00-\u9fff\uac00-\ud7af\u3040-\u30ff]")
# Spellings one name gets from different romanisations, folded away before comparing.
_KEY_RULES = [
    (re.compile(r"KH"), "H"),
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
    (re.compile(r"(?<=O)H(?=[^AEIOU])"), ""),  # Japanese long o: Yohko / Yoko
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

    @classmethod
    def of(cls, text: str, written: str) -> "Token":
        return _token(text, written)

    @classmethod
    def make(cls, text: str, written: str) -> "Token":
        abjad = bool(_ABJAD.search(written))
        if abjad and written.startswith("ال") and text.startswith("L") and len(text) > 3:
            bare = text[1:]  # the article, transliterated as a bare "l"
        else:
            separate = text[:2] in ("AL", "EL", "UL") and len(text) > 4 and " " in written
            bare = text[2:] if separate else text
        sets = variants.variant_sets(written.split()[-1]) | variants.variant_sets(bare)
        key = variant_key(bare)
        readings = frozenset(other_readings(bare if abjad else text, written) | ({text} - {bare}))
        alternatives = frozenset({key, *(variant_key(reading) for reading in readings)})
        folded = _fold_abjad(written) if abjad else ""
        return cls(bare, key, skeleton(bare), sets, abjad, alternatives, readings, folded)


@dataclass(frozen=True)
class PreparedName:
    """A name analysed once, for scoring against many others."""

    tokens: tuple[Token, ...]
    key: str  # the exact key: normalised tokens, sorted
    family_first: bool

    @classmethod
    def of(cls, name: str) -> "PreparedName":
        return _prepared(name)

    @classmethod
    def make(cls, name: str) -> "PreparedName":
        parts = name_parts(name)
        tokens = tuple(Token.of(text, written) for text, written in parts)
        family_first = (
            bool(_FAMILY_FIRST.search(name))
            or ("," in name and not name.rstrip().endswith(","))
            # Wang Wei, Kim Ji-hoon written in Latin: a family name of such a culture first
            or (len(tokens) > 1 and variants.family_name_first(tokens[0].sets))
        )
        return cls(tokens, name_key(name), family_first)

    @property
    def family(self) -> int | None:
        if not self.tokens:
            return None
        return 0 if self.family_first or len(self.tokens) == 1 else len(self.tokens) - 1


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


def _consonant_forms(token: Token) -> set[str]:
    texts = {token.text, *token.readings}
    if HEBREW.search(token.written):  # bet is b or v, pe p or f: the romaniser can not tell which
        texts |= {text.replace("V", "B") for text in texts} | {text.replace("P", "F") for text in texts}
    if not token.abjad:  # French and Dutch write sh as ch: Darwiche
        texts |= {text.replace("CH", "SH") for text in texts if "CH" in text}
    forms = {_consonants(skeleton(text)) for text in texts}
    if token.abjad:  # one letter each, not digraphs: ط ه (t, h) is not ث (th)
        forms.add(_consonants(_VOWELS.sub("", token.text[:1] + _VOWELS.sub("", token.text[1:]))))
    return forms - {""}


@lru_cache(maxsize=65536)
def _prepared(name: str) -> PreparedName:
    return PreparedName.make(name)


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
            return SIMILAR
        return 0.9 * max(
            (Levenshtein.normalized_similarity(x, y) for x in first for y in second), default=0.0
        )
    if a.key == b.key or a.alternatives & b.alternatives:
        return SIMILAR
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
    if a.abjad and b.abjad:  # both in the script they were written in: its spelling is the name's
        if a.written == b.written:
            return SAME
        return min(_DIFFERENT_TOKEN, Levenshtein.normalized_similarity(a.written, b.written))
    if a.text == b.text:
        return SAME
    if a.sets & b.sets:
        return VARIANT
    if a.sets and b.sets and not (a.abjad or b.abjad) and not a.alternatives & b.alternatives:
        # Both known, as different names (the tables' gaps are likelier across scripts)
        return min(DIFFERENT, _spelling(a, b))
    return _spelling(a, b)


def _joined(tokens: tuple[Token, ...], other: tuple[Token, ...]) -> tuple[Token, ...]:
    """Adjacent tokens written together on the other side joined into one, in any of their readings:
    Xiao Ming / Xiaoming, 동현 / Tonghyon, Abdul Karim / Abdelkarim, Ghasem-Zadeh / قاسم‌زاده."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        if index + 1 < len(tokens):
            joined = _join(tokens[index], tokens[index + 1], other)
            if joined is not None:
                result.append(joined)
                index += 2
                continue
        result.append(tokens[index])
        index += 1
    return tuple(result)


def _join(first: Token, second: Token, other: tuple[Token, ...]) -> Token | None:
    """The two tokens as one, if that one is (a spelling of) a token of the other side."""
    written = first.written + second.written if first.abjad and second.abjad else ""
    for text in (x + y for x in (first.text, *first.readings) for y in (second.text, *second.readings)):
        candidate = Token.of(text, written or text)
        if any(token_similarity(candidate, token) >= SIMILAR for token in other):
            return candidate
    return None


@dataclass(frozen=True)
class Comparison:
    score: float
    family: str  # same, variant, similar, different, missing
    given: str


def _kind(similarity: float | None) -> str:
    if similarity is None:
        return "missing"
    if similarity >= SAME:
        return "same"
    if similarity >= VARIANT:
        return "variant"
    return "similar" if similarity >= 0.9 else "different"


def compare(first: PreparedName, second: PreparedName) -> Comparison:
    tokens_a, tokens_b = _joined(first.tokens, second.tokens), _joined(second.tokens, first.tokens)
    if not tokens_a or not tokens_b:
        return Comparison(0.0, "missing", "missing")
    pairs = sorted(
        ((token_similarity(a, b), i, j) for i, a in enumerate(tokens_a) for j, b in enumerate(tokens_b)),
        reverse=True,
    )
    partner: dict[int, tuple[int, float]] = {}
    used_b: set[int] = set()
    for similarity, i, j in pairs:
        if i in partner or j in used_b:
            continue
        partner[i] = (j, similarity)
        used_b.add(j)
    weights = {
        i: min(variants.weight(tokens_a[i].sets), variants.weight(tokens_b[j].sets))
        for i, (j, _s) in partner.items()
    }
    total = sum(weights.values())
    mean = sum(weights[i] * similarity for i, (_j, similarity) in partner.items()) / total
    unpaired = max(len(tokens_a), len(tokens_b)) - len(partner)
    score = mean * _UNPAIRED_FACTOR**unpaired
    family_index = 0 if first.family_first or len(tokens_a) == 1 else len(tokens_a) - 1
    family = partner.get(family_index, (None, None))[1]
    given = [similarity for i, (_j, similarity) in partner.items() if i != family_index]
    weakest_given = min(given, default=None)
    if family is None or family < 0.9:
        score = min(score, _FAMILY_DIFFERENT_CAP)
    elif weakest_given is not None and weakest_given < 0.8:  # José / Juan García
        score = min(score, _FAMILY_DIFFERENT_CAP)
    elif weakest_given is not None and weakest_given < 0.9:
        score = min(score, _GIVEN_DIFFERENT_CAP)
    return Comparison(score, _kind(family), _kind(weakest_given))


def prepared_similarity(first: PreparedName, second: PreparedName) -> float:
    return compare(first, second).score


def name_similarity(first: str, second: str) -> float:
    return prepared_similarity(PreparedName.of(first), PreparedName.of(second))


def names_match(first: str, second: str) -> bool:
    return name_similarity(first, second) >= MATCH_THRESHOLD


def grade(first: PreparedName, second: PreparedName) -> tuple[str | None, float]:
    """How a stored name answers a queried one: exact (the same normalised tokens), strong, possible, or
    None (no hit); and the similarity."""
    if first.key == second.key:
        return EXACT, 1.0
    score = prepared_similarity(first, second)
    if score >= STRONG_THRESHOLD:
        return STRONG, score
    return (POSSIBLE if score >= MATCH_THRESHOLD else None), score
