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

from anyascii import anyascii
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from app.schemas.common import e164

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
]
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


def latin(text: str) -> str:
    for wrong, right in _SCRIPT_FIXES:
        text = text.replace(wrong, right)
    return anyascii(unicodedata.normalize("NFC", text))


def _is_latin_script(word: str) -> bool:
    return all(ord(char) < 0x250 for char in word if char.isalpha())


def name_tokens(name: str) -> list[str]:
    """Upper-case Latin tokens, in the order written: honorifics and name particles (written in Latin
    script: Arabic "عمر" transliterates to "MR" and must stay) dropped, Arabic articles joined."""
    tokens: list[str] = []
    for written in re.split(r"[\s\-]+", unicodedata.normalize("NFC", name)):
        for word in _NOT_LETTER.sub(" ", latin(written).upper().replace("'", "")).split():
            if _is_latin_script(written) and (word in HONORIFICS or word in PARTICLES):
                continue
            if tokens and tokens[-1] in ARTICLES:
                tokens[-1] += word
            else:
                tokens.append(word)
    return tokens


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


def name_key(name: str) -> str:
    """Exact key: normalised tokens in sorted order (so token order does not matter)."""
    return " ".join(sorted(name_tokens(name)))


def name_skeletons(name: str) -> list[str]:
    return [key for key in (skeleton(token) for token in name_tokens(name)) if key]


def document_number(number: str, country: str | None = None) -> str:
    compact = re.sub(r"[^A-Z0-9]", "", number.upper())
    return f"{country or ''}:{compact}"


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
