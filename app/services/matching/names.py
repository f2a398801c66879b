"""How alike two person names are, from 0 to 1, and what the likeness is made of.

A name is a list of tokens (normalize.name_parts: Han and Hangul split into syllables, articles joined,
particles and honorifics dropped), compared two by two (tokens.py). Syllables written apart on one side
and together on the other (Xiao Ming / Xiaoming, bin Laden / Binladen) are joined before pairing. Tokens
are then paired, best first. The family name (the first token of a Han or Hangul name, of a name written
"FAMILY, Given", otherwise the last) decides: a different family name is no hit; a different given name
with the same family name is at most possible; a token left without a partner (a middle name, a
patronymic) costs a little. Common names weigh less in the mean. A name holding a pair only alike is at
most possible: strong means certain spellings of one name.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from app.services.matching import variants
from app.services.matching.japanese import japanese_reading
from app.services.matching.normalize import name_key, name_parts
from app.services.matching.tokens import ALIKE, SAME, SIMILAR, VARIANT, Token, token_similarity
from app.services.matching.wade_giles import pinyin_readings

MATCH_THRESHOLD = 0.90  # at least a possible hit
STRONG_THRESHOLD = 0.95
EXACT, STRONG, POSSIBLE = "exact", "strong", "possible"

_UNCERTAIN_CAP = 0.94
_UNPAIRED_FACTOR = 0.97
_UNPAIRED_PATRONYMIC_FACTOR = 0.99  # a patronymic is left out more often than any other part
_GIVEN_DIFFERENT_CAP = 0.92  # the same family name, another given name: possible at most
_FAMILY_DIFFERENT_CAP = 0.85  # another family name: no hit
_VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
_FAMILY_FIRST = re.compile("[\u4e00-\u9fff\uac00-\ud7af\u3040-\u30ff]")
_HAN = re.compile("[\u4e00-\u9fff]")


@dataclass(frozen=True)
class PreparedName:
    """A name analysed once, for scoring against many others."""

    tokens: tuple[Token, ...]
    key: str  # the exact key: normalised tokens, sorted
    family_first: bool
    tonal: bool  # Vietnamese in full orthography, where marks (and their absence) tell names apart
    han: str  # the name as written, when in Han characters: it may be Japanese, read otherwise
    patronymic: tuple[Token, ...] = ()  # the father's name made a part of one's own: never the family
    pinyin: tuple[str, ...] = ()  # the name read in pinyin, when written in Wade-Giles (wade_giles.py)

    @classmethod
    def of(cls, name: str) -> "PreparedName":
        return _prepared(name)

    @classmethod
    def make(cls, name: str) -> "PreparedName":
        parts = name_parts(name)
        tokens = tuple(Token.of(text, written) for text, written in parts)
        patronymic = _patronymic(name, tokens)
        family_first = (
            bool(_FAMILY_FIRST.search(name))
            or ("," in name and not name.rstrip().endswith(","))
            # Wang Wei, Kim Ji-hoon written in Latin: a family name of such a culture first
            or (len(tokens) > 1 and variants.family_name_first(tokens[0].sets))
            # Petrov Ivan Ivanovich: the official Russian order ends with the patronymic
            or (len(tokens) > 2 and bool(patronymic) and patronymic[-1] is tokens[-1])
        )
        tonal = bool(_VIETNAMESE.search(name.lower()))
        han = name if _HAN.search(name) else ""
        return cls(tokens, name_key(name), family_first, tonal, han, patronymic, pinyin_readings(name))

    @property
    def family(self) -> int | None:
        if not self.tokens:
            return None
        return 0 if self.family_first or len(self.tokens) == 1 else len(self.tokens) - 1


# East Slavic patronymics. The female forms are never family names; the male ones may be (Abramovich),
# so they count only where a family name can not be: in the middle, or last after a family name.
_FEMALE_PATRONYMIC = re.compile(r"(OVNA|EVNA|ICHNA)$")
_MALE_PATRONYMIC = re.compile(r"(OVICH|EVICH|OVYCH|EVYCH)$")
_EAST_SLAVIC_FAMILY = re.compile(r"(OV|EV|YOV|IN|YN|OVA|EVA|INA|YNA|SKY|SKIY|SKII|SKAYA|SKAIA|ENKO|UK|CHUK)$")
_SON_OF = frozenset({"BIN", "IBN", "BINT", "BEN"})


def _patronymic(name: str, tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """The tokens of the name's patronymic: given as the third part of "FAMILY, Given, Patronymic", or
    inferred: Ivanovich / Petrovna in the middle (or last, after a family name: Petrov Ivan Ivanovich),
    "bin Khalid" before the family name (bin Laden, last, is the family name)."""
    sections = name.split(",")
    if len(sections) == 3 and sections[2].strip():
        count = len(name_parts(sections[2]))
        return tokens[len(tokens) - count :] if 0 < count < len(tokens) else ()
    if len(tokens) < 3:
        return ()
    texts = [token.text for token in tokens]
    for index in range(1, len(texts) - 1):
        if texts[index] in _SON_OF and index + 1 < len(texts) - 1:
            return tokens[index : index + 2]
        if _FEMALE_PATRONYMIC.search(texts[index]) or _MALE_PATRONYMIC.search(texts[index]):
            return (tokens[index],)
    last = texts[-1]
    if _FEMALE_PATRONYMIC.search(last) or (
        _MALE_PATRONYMIC.search(last) and _EAST_SLAVIC_FAMILY.search(texts[0])
    ):
        return (tokens[-1],)
    return ()


@lru_cache(maxsize=65536)
def _prepared(name: str) -> PreparedName:
    return PreparedName.make(name)


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
    if first.abjad and second.abjad:
        # Compared as written: عبد الحميد is عبدالحميد, whose article the word's folding does not take off.
        for written in (first.written + second.written, first.written + "ال" + second.written):
            candidate = Token.of(first.text + second.text, written)
            if any(token_similarity(candidate, token) >= ALIKE for token in other):
                return candidate
        return None
    for text in (x + y for x in (first.text, *first.readings) for y in (second.text, *second.readings)):
        candidate = Token.of(text, text)
        if any(token_similarity(candidate, token) >= ALIKE for token in other):
            return candidate
    return None


def _unpaired_cost(tokens: tuple[Token, ...], paired: set[int], name: PreparedName) -> float:
    """What the tokens of one side left without a partner cost: a patronymic less than any other."""
    cost = 1.0
    for index, token in enumerate(tokens):
        if index not in paired:
            patronymic = any(token is part for part in name.patronymic)
            cost *= _UNPAIRED_PATRONYMIC_FACTOR if patronymic else _UNPAIRED_FACTOR
    return cost


def _spelled_apart(a: Token, b: Token, first: PreparedName, second: PreparedName) -> bool:
    """Two spellings of one orthography, not two transliterations: Hùng / Hưng (both marked), Hoa / Hòa
    where both names are Vietnamese written in full, Özkan / Özcan (both marked, two spellings). Müller /
    Muller stays the same name: marks are often left out."""
    if not a.spelled or not b.spelled or a.spelled == b.spelled:
        return False
    if a.text == b.text:
        return (first.tonal and second.tonal) or not (a.spelled.isascii() or b.spelled.isascii())
    return not (a.spelled.isascii() or b.spelled.isascii() or a.sets & b.sets)


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
    """How alike two names are; a name in kanji against one in kana or Latin letters also as read in
    Japanese (渡辺大輔 / Watanabe Daisuke), and one in Wade-Giles also in pinyin: the best of these."""
    best = _compare(first, second)
    if bool(first.han) != bool(second.han):
        reading = japanese_reading(first.han or second.han)
        if reading is not None:
            read = PreparedName.of(reading)
            other = _compare(read, second) if first.han else _compare(first, read)
            if other.score > best.score:
                best = other
    # Teng Hsiao-ping / Deng Xiaoping: a name in Wade-Giles also as read in pinyin.
    others = [_compare(PreparedName.of(read), second) for read in first.pinyin]
    others += [_compare(first, PreparedName.of(read)) for read in second.pinyin]
    return max([best, *others], key=lambda comparison: comparison.score)


def _compare(first: PreparedName, second: PreparedName) -> Comparison:
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
        if similarity >= SIMILAR and _spelled_apart(tokens_a[i], tokens_b[j], first, second):
            similarity = ALIKE
        partner[i] = (j, similarity)
        used_b.add(j)
    weights = {
        i: min(variants.weight(tokens_a[i].sets), variants.weight(tokens_b[j].sets))
        for i, (j, _s) in partner.items()
    }
    total = sum(weights.values())
    mean = sum(weights[i] * similarity for i, (_j, similarity) in partner.items()) / total
    # The side with more tokens left over pays for them, as many as it has (pairs are one to one).
    left_over = (_unpaired_cost(tokens_a, set(partner), first), _unpaired_cost(tokens_b, used_b, second))
    score = mean * min(left_over)
    family_index = 0 if first.family_first or len(tokens_a) == 1 else len(tokens_a) - 1
    if (
        family_index >= 2
        and family_index not in partner
        and partner.get(family_index - 1, (None, 0.0))[0] == len(tokens_b) - 1
    ):
        family_index -= 1  # Miguel Díaz Ramos / Miguel Díaz: the second (mother's) family name left out
    family = partner.get(family_index, (None, None))[1]
    given = [similarity for i, (_j, similarity) in partner.items() if i != family_index]
    weakest_given = min(given, default=None)
    if family is None or family < 0.9:
        score = min(score, _FAMILY_DIFFERENT_CAP)
    elif weakest_given is not None and weakest_given < 0.8:  # José / Juan García
        score = min(score, _FAMILY_DIFFERENT_CAP)
    elif weakest_given is not None and weakest_given < 0.9:
        score = min(score, _GIVEN_DIFFERENT_CAP)
    if min(similarity for _j, similarity in partner.values()) < SIMILAR:
        score = min(score, _UNCERTAIN_CAP)  # only alike somewhere: possible at most
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
    comparison = compare(first, second)
    return strength_of(first, second, comparison), comparison.score


def strength_of(first: PreparedName, second: PreparedName, comparison: Comparison) -> str | None:
    """Exact: the same normalised tokens, and nothing only alike (Hoa / Hòa in Vietnamese share a key)."""
    if first.key == second.key and comparison.score >= STRONG_THRESHOLD:
        return EXACT
    if comparison.score >= STRONG_THRESHOLD:
        return STRONG
    return POSSIBLE if comparison.score >= MATCH_THRESHOLD else None
