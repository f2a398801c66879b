"""Blind indexes: HMAC-SHA256 (checked against RFC 4231) over term and normalised value, with a
known answer, and equal indexes for equivalent spellings."""

import hashlib
import hmac

import pytest

from app.crypto.blind_index import blind_index
from app.services.matching import normalize

KEY = bytes(range(32))


def test_hmac_sha256_is_the_rfc4231_one() -> None:
    # RFC 4231 test case 2; blind_index is this HMAC over "term 0x1F value".
    assert hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    expected = hmac.new(KEY, b"name\x1fALRASHID MOHAMMED", hashlib.sha256).hexdigest()
    assert blind_index(KEY, "name", "ALRASHID MOHAMMED") == expected


def test_known_answer() -> None:
    assert blind_index(KEY, "name", "ALRASHID MOHAMMED") == (
        "e11757890e9fb83a3b64af7b5dd224c9f4edcc47f5e8f068bfe3dcf80fc2f79d"
    )


def test_terms_are_separate_domains() -> None:
    assert blind_index(KEY, "document", "123456") != blind_index(KEY, "phone", "123456")
    assert blind_index(KEY, "name", "X") != blind_index(bytes(32), "name", "X")


@pytest.mark.parametrize(
    ("term", "normaliser", "spellings"),
    [
        ("name", normalize.name_key, ["Mohammed Al-Rashid", "AL-RASHID Mohammed", "Dr. Mohammed al Rashid"]),
        ("document", normalize.document_number, ["N 123-4567", "n1234567", "N/1234567"]),
        ("iban", normalize.iban, ["DE89 3704 0044 0532 0130 00", "de89370400440532013000"]),
        ("phone", normalize.phone, ["+962 79 123 4567", "+962791234567", "+962-79-1234567"]),
    ],
)
def test_equivalent_spellings_share_an_index(term: str, normaliser: object, spellings: list[str]) -> None:
    assert callable(normaliser)
    digests = {blind_index(KEY, term, normaliser(spelling)) for spelling in spellings}
    assert len(digests) == 1


def test_wallet_case_follows_the_address_format() -> None:
    bech32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    assert normalize.wallet(bech32.upper(), "bitcoin") == normalize.wallet(bech32, "bitcoin")
    base58 = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"  # case-sensitive: not folded
    assert normalize.wallet(base58, "bitcoin") != normalize.wallet(base58.lower(), "bitcoin")
