"""Normalisers for matching: names across scripts, documents, IBANs, wallets, phones and dates.

Names go through three steps: script-specific spellings that transliteration gets wrong (Greek "ντ" is
a "d"), transliteration to Latin (anyascii), then tokens: upper case, punctuation dropped, honorifics
dropped, Arabic articles joined to the word they belong to ("Al Rashid" = "Al-Rashid" = "Alrashid").
A coarse phonetic skeleton per token (digraphs reduced, vowels dropped, doubles collapsed) makes
"Mohammed", "Muhammad", "Мухаммад" and "محمد" the same key; it serves candidate retrieval and scoring.
"""

import re
import unicodedata
from datetime import date
from functools import lru_cache
from itertools import islice, product

from anyascii import anyascii
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from app.schemas.common import e164
from app.services.matching import cantonese
from app.services.matching.japanese import japanese_reading
from app.services.matching.renderings import rendered_readings
from app.services.matching.wade_giles import pinyin_readings

HONORIFICS = frozenset(
    "MR MRS MS MISS DR PROF SHEIKH SHAIKH SHAYKH HAJI HAJJI HADJI SAYYID SAYED SIR DON DONA SR SRA "
    "SENOR SENORA HERR FRAU SIGNOR SIGNORA GOSPODIN".split()
)
ARTICLES = frozenset({"AL", "EL", "UL"})
# Often written or left out ("Ana Paula da Silva" = "Ana Paula Silva"): they carry no identity.
PARTICLES = frozenset("DA DE DI DO DOS DAS DEL LA LE VAN VON DER DEN TER".split())
_SCRIPT_FIXES = [
    ("ντ", "d"),
    ("ΝΤ", "D"),
    ("Ντ", "D"),
    ("μπ", "b"),
    ("ΜΠ", "B"),
    ("Μπ", "B"),
    ("γκ", "g"),
    ("ΓΚ", "G"),
    ("χ", "kh"),  # anyascii's "ch" reads as in "church"; Greek chi is the kh of Khalid
    ("Χ", "Kh"),
    # Greek diphthongs anyascii spells letter by letter (Παπαδόπουλος is Papadopoulos, not -poylos).
    ("ου", "ou"),
    ("ού", "ou"),
    ("Ου", "Ou"),
    ("ΟΥ", "OU"),
    ("αυ", "av"),
    ("αύ", "av"),
    ("ευ", "ev"),
    ("εύ", "ev"),
    ("Αυ", "Av"),
    ("Ευ", "Ev"),
    ("ΑΥ", "AV"),
    ("ΕΥ", "EV"),
    ("ं", "n"),  # Devanagari anusvara before a consonant: संजीव is Sanjeev
    # Armenian ու is one vowel, u (Մանուկյան, Manukyan); ռ, the rolled r, is an r to every romanisation.
    ("ու", "u"),
    ("Ու", "U"),
    ("ՈՒ", "U"),
    ("ռ", "r"),
    ("Ռ", "R"),
]
# Armenian initial ե and ո are read ye and vo (Եղիազարյան, Yeghiazaryan; Ոսկան, Voskan).
_ARMENIAN_INITIAL = re.compile(r"(?<![\w\u0531-\u0587])([ԵեՈո])")
_ARMENIAN_INITIAL_READING = {"Ե": "Ye", "ե": "ye", "Ո": "Vo", "ո": "vo"}
_DIGRAPHS = [
    *[("KH", "H"), ("CH", "H"), ("SH", "S"), ("TH", "T"), ("PH", "F"), ("GH", "G"), ("DH", "D")],
    *[("Q", "K"), ("CK", "K"), ("C", "K"), ("Z", "S"), ("J", "Y")],
]
_W_CONSONANT = re.compile(
    r"^W|W(?=[AEIOU])"
)  # Slavic "Kowalski" = "Kovalski"; elsewhere W is a vowel (Arabic "و")
_NOT_LETTER = re.compile(r"[^A-Z ]+")
_VOWELS = re.compile(r"[AEIOUYW]")
_REPEATS = re.compile(r"(.)\1+")


# Latin letters with a caron stand for the sounds Cyrillic romanises as digraphs: Serbian Čolić is Чолић,
# which anyascii reads "Cholic"; on its own anyascii would make it "Colic".
_CARONS = str.maketrans(
    {"č": "ch", "Č": "Ch", "š": "sh", "Š": "Sh", "ž": "zh", "Ž": "Zh", "đ": "dj", "Đ": "Dj"}
)


# Thai writes some vowels before the consonant they follow in speech (แก้ว is kaeo); a mark silences the
# letter it sits on (จันทร์); ญ ends a syllable as n.
# A leading ห only gives the next consonant its tone (สมหญิง is Somying); a consonant that ends a word is
# read as one of k, t, p, n (RTGS: สุข suk, สวัสดิ์ sawat, สมบูรณ์ sombun).
_THAI_LEADING_VOWEL = re.compile("([เแโใไ])([ก-ฮ])")
_THAI_SILENT = re.compile("ทร\u0e4c|[ก-ฮ][\u0e34\u0e38]?\u0e4c")
_THAI_FINAL_NYO = re.compile("ญ(?![ะ-ู])")
_THAI_TONE_HO = re.compile("ห(?=[งญนมยรลว])")
_THAI_FINAL = re.compile("(?<=[ก-ฮ\u0e31-\u0e3a\u0e47-\u0e4e])([ก-ฮ])(?![ก-ฮ\u0e30-\u0e4e])")
_THAI_FINAL_SOUND = str.maketrans(
    {
        **dict.fromkeys("ขคฆ", "ก"),
        **dict.fromkeys("ดถทธศษสจชซฐฑฒฎฏ", "ต"),
        **dict.fromkeys("พภบฟ", "ป"),
        **dict.fromkeys("รลฬณ", "น"),
    }
)


def _thai(text: str) -> str:
    text = _THAI_SILENT.sub("", text)
    text = _THAI_FINAL_NYO.sub("น", text)
    text = _THAI_TONE_HO.sub("", text)
    text = _THAI_FINAL.sub(lambda found: found[1].translate(_THAI_FINAL_SOUND), text)
    return _THAI_LEADING_VOWEL.sub(r"\2\1", text)


_KANA_CONTRACTION = re.compile("([きしちにひみりぎじびぴキシチニヒミリギジビピ])([ゃゅょャュョ])")


def _contract(found: re.Match[str]) -> str:
    """キョ is kyo, not kiyo (anyascii reads the small ya, yu, yo as full syllables); ショ is sho."""
    head = anyascii(found[1])[:-1]  # ki -> k, shi -> sh
    vowel = anyascii(found[2])[-1]
    return head + ("" if head in ("sh", "ch", "j") else "y") + vowel


def latin(text: str) -> str:
    if text.isascii():
        return text
    for wrong, right in _SCRIPT_FIXES:
        text = text.replace(wrong, right)
    text = _ARMENIAN_INITIAL.sub(lambda found: _ARMENIAN_INITIAL_READING[found[1]], text)
    text = _thai(_KANA_CONTRACTION.sub(_contract, text))
    return anyascii(unicodedata.normalize("NFC", text).translate(_CARONS))


# Scripts whose romanisation is best compared by consonants: Arabic and Hebrew do not write short vowels,
# Devanagari's inherent vowel is dropped at will (रामनरेश, Ramnaresh).
_ABJAD = re.compile("[\u0590-\u06ff\u0750-\u077f\u0900-\u097f\u0e00-\u0e7f\ufb1d-\ufdff\ufe70-\ufeff]")


def is_latin_script(word: str) -> bool:
    return all(ord(char) < 0x250 or 0x1E00 <= ord(char) <= 0x1EFF for char in word if char.isalpha())


def _syllabic(word: str) -> bool:
    """Han or Hangul: written without spaces between family and given names, or between syllables."""
    return any(0x4E00 <= ord(char) <= 0x9FFF or 0xAC00 <= ord(char) <= 0xD7AF for char in word)


def _written_words(name: str) -> list[str]:
    words = []
    for written in re.split(r"[\s\-]+", unicodedata.normalize("NFC", name)):
        # 张伟 and 김지훈 are written as one word: each character is a syllable of its own.
        words.extend(list(written) if _syllabic(written) else [written])
    return [word for word in words if word]


# Names and their words repeat (a million records hold far fewer distinct names): analysed once each.
@lru_cache(maxsize=65536)
def name_parts(name: str) -> tuple[tuple[str, str], ...]:
    """(upper-case Latin token, the word it was written as), in the order written: honorifics before the
    name and name particles (written in Latin script: Arabic "عمر" transliterates to "MR" and must stay)
    dropped, Arabic articles joined to the word they belong to. A dropped particle stays in how the next
    word was written ("de la Cruz" is the token CRUZ written "de la Cruz"), which is also written
    Delacruz."""
    parts: list[tuple[str, str]] = []
    particles: list[str] = []  # dropped before the next word, kept in how it was written: de la Cruz
    words = [(word, written) for written in _written_words(name) for word in _latin_words(written)]
    for position, (word, written) in enumerate(words):
        # Written as the particle is (Lê, a Vietnamese family name, is not the French le).
        if written.isascii() and word in PARTICLES:
            particles.append(written)
            continue
        # A title only before the name (Sheikh Mohamed): after it, a name (Ahmed El Sayed, Omar Haji).
        if written.isascii() and word in HONORIFICS and not parts and position < len(words) - 1:
            continue
        if parts and parts[-1][0] in ARTICLES:
            article, article_written = parts[-1]
            parts[-1] = (article + word, f"{article_written} {written}")
        else:
            parts.append((word, " ".join([*particles, written])))
        particles = []
    return tuple(parts)


def _latin_words(written: str) -> list[str]:
    romanised = latin(written).upper()
    # Arabic and Hebrew letters romanise to marks too (ʿayn as a quote): one word stays one token.
    if _ABJAD.search(written):
        return [word for word in [_NOT_LETTER.sub("", romanised)] if word]
    return _NOT_LETTER.sub(" ", romanised.replace("'", "")).split()


def name_tokens(name: str) -> list[str]:
    """The Latin tokens of a name (see name_parts)."""
    return [token for token, _written in name_parts(name)]


def skeleton(token: str) -> str:
    """A coarse phonetic key of one token."""
    for digraph, replacement in _DIGRAPHS:
        token = token.replace(digraph, replacement)
    token = _W_CONSONANT.sub("V", token)
    if token.startswith("AL") and len(token) > 4:
        token = "L" + token[2:]
    consonants = _VOWELS.sub("", token[1:])
    head = token[0] if token[0] not in "AEIOUYW" else ""
    return _REPEATS.sub(r"\1", head + consonants)


# Spellings of one Arabic letter that writers choose freely: alif with or without hamza or madda, ta
# marbuta or ha, alif maqsura or ya, Arabic or Persian kaf and ya; short-vowel marks, tatweel and the
# zero-width non-joiner (حسین‌زاده is حسینزاده, its parts only drawn apart) left out.
_ABJAD_SPELLING = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ی",
        "ي": "ی",
        "ك": "ک",
        "ـ": None,
        "\u200c": None,
    }
)
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u05b0-\u05c7\u093c\u094d]")


def fold_abjad(written: str) -> str:
    """A word in Arabic, Hebrew or Devanagari script as its letters spell it: romanisation drops what tells
    حامد (Hamid) from حمد (Hamad), so such words are compared, and keyed, as written."""
    return _HARAKAT.sub("", unicodedata.normalize("NFC", written).translate(_ABJAD_SPELLING))


def name_key(name: str) -> str:
    """Exact key: normalised tokens in sorted order (so token order does not matter); words written in a
    script without vowels count as written."""
    return " ".join(
        sorted(
            fold_abjad(written) if _ABJAD.search(written) else token for token, written in name_parts(name)
        )
    )


def name_skeletons(name: str) -> list[str]:
    """The skeleton of each token; a name in kanji also as read in Japanese (渡辺大輔: found by Watanabe)."""
    return [key for reading in skeleton_readings(name) for key in reading]


_MOST_PINYIN = 4  # readings in pinyin of a name in Wade-Giles, at most (the likeliest come first)
_MOST_RENDERED = 3  # readings of a name in other spellings, at most (Prigoschin: Prigoshin, Prigozhin)


@lru_cache(maxsize=65536)
def skeleton_readings(name: str) -> tuple[tuple[str, ...], ...]:
    """The skeletons of the name's tokens, for each way it reads: as written; a name in kanji also in
    Japanese, and in Cantonese (cantonese.py: 陳大文 is found by Chan Tai Man); a name in Wade-Giles also
    in pinyin (wade_giles.py: Teng Hsiao-ping is found by Deng Xiaoping); a Slavic name in German or
    French spelling also in English (renderings.py: Schewtschenko is found by Shevchenko). Pairs of
    tokens are indexed within one reading, never across two."""
    tokens = name_tokens(name)
    reading = japanese_reading(name)
    readings = [tokens] + ([name_tokens(reading)] if reading else [])
    readings += [name_tokens(read) for read in pinyin_readings(name)[:_MOST_PINYIN]]
    written = [word for _token, word in name_parts(name)]
    if written and all(cantonese.HAN_CHARACTER.fullmatch(word) for word in written):
        readings += cantonese.name_readings(written)
    skeletons = [tuple(key for key in (skeleton(token) for token in tokens) if key) for tokens in readings]
    return tuple(dict.fromkeys(skeletons + _rendered_skeletons(tokens)))


def _rendered_skeletons(tokens: list[str]) -> list[tuple[str, ...]]:
    """The name's skeletons as its German or French spellings read in English, each token in each of its
    readings that keys differently (sch as ш and as ж), at most _MOST_RENDERED of them."""
    choices = [
        tuple(dict.fromkeys(skeleton(spelled) for spelled in (token, *rendered_readings(token))))
        for token in tokens
    ]
    combinations = islice(product(*choices), 1, _MOST_RENDERED + 1)  # the first is the name as written
    return [tuple(key for key in keys if key) for keys in combinations]


def document_number(number: str, country: str | None = None) -> str:
    compact = re.sub(r"[^A-Z0-9]", "", number.upper())
    return f"{country or ''}:{compact}"


# Characters machine-readable zones and scanners confuse, folded to one (documents only).
_OCR_FOLD = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}
)


def document_ocr(number: str) -> str:
    """A document number with the characters OCR confuses folded: N1234567 and N12345G7 agree."""
    return document_number(number).translate(_OCR_FOLD)


def birth_date_near(value: date) -> list[str]:
    """Dates a birth date is often mistaken for: day and month swapped, the year one off."""
    near = set()
    if value.day <= 12 and value.day != value.month:
        near.add(date(value.year, value.day, value.month))
    for year in (value.year - 1, value.year + 1):
        try:
            near.add(value.replace(year=year))
        except ValueError:  # 29 February
            near.add(date(year, 2, 28))
    return sorted(day.isoformat() for day in near)


def iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise ValueError(f"not a valid IBAN: {exc}") from exc


def wallet(address: str, chain: str) -> str:
    address = address.strip()
    # Hex (EVM) and bech32 addresses are case-insensitive; base58 ones are not.
    if address.lower().startswith(("0x", "bc1", "ltc1", "tb1")):
        address = address.lower()
    return f"{chain}:{address}"


def phone(number: str, region: str | None = None) -> str:
    return e164(number, region)


def birth_date(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else date.fromisoformat(value).isoformat()
