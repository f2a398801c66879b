"""What the cryptography of one KIX round trip costs on this machine, with nothing else around it.

    python -m bench crypto-floor [--rounds 7] [--calls 2000]

Prints the median time of each primitive the server runs per request (one Ed25519 verification, one
Ed25519 signature, the X25519 agreements of decrypting the request and encrypting the response, the
AES operations) and the same work through joserfc, which the service uses. Compare the total with the
bare app's server CPU per request that the roundtrip scenario prints: their sum bounds the KIX/bare
ratio. Each figure is the median over --rounds rounds of --calls calls. Figures are printed, never
asserted.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from app.crypto.jwe import JweCodec
from bench.harness.options import parser_for, positive_int

ROUNDS = 7
CALLS = 2000


def timer(rounds: int, calls: int) -> Callable[[Callable[[], object]], float]:
    """Median microseconds per call of `work`, over `rounds` rounds of `calls` calls."""

    def median_us(work: Callable[[], object]) -> float:
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(calls):
                work()
            samples.append((time.perf_counter() - started) / calls * 1e6)
        return statistics.median(samples)

    return median_us


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__, "crypto-floor")
    parser.add_argument("--rounds", type=positive_int, default=ROUNDS, help="rounds (the median is printed)")
    parser.add_argument("--calls", type=positive_int, default=CALLS, help="calls per round")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Floor:
    """Median microseconds of each primitive one round trip runs on the server, raw and through joserfc."""

    raw: dict[str, float]
    via_library: dict[str, float]

    def get_us(self) -> float:
        """A request without a body: verify its signature; encrypt and sign the response (raw)."""
        return sum(self.raw[name] for name in GET_PARTS)

    def post_us(self) -> float:
        """A request with a body: the same, and decrypt the request's JWE (raw)."""
        return sum(self.raw.values())


GET_PARTS = (
    "Ed25519 verify (request signature)",
    "Ed25519 sign (response signature)",
    "X25519 ephemeral key + agreement (response JWE)",
    "AES-KW unwrap + wrap",
    "AES-GCM open + seal (1 KB)",
)


def measure(rounds: int, calls: int) -> Floor:
    median_us = timer(rounds, calls)
    signer = Ed25519PrivateKey.generate()
    verifier = signer.public_key()
    base = os.urandom(400)
    signature = signer.sign(base)
    server = X25519PrivateKey.generate()
    client = X25519PrivateKey.generate()
    kek, cek, nonce = os.urandom(32), os.urandom(32), os.urandom(12)
    wrapped = aes_key_wrap(kek, cek)
    body = os.urandom(1024)
    sealed = AESGCM(cek).encrypt(nonce, body, b"aad")
    codec = JweCodec()
    token = codec.encrypt(body, server.public_key(), recipient_kid="s", sender_kid="c")
    raw = {
        "Ed25519 verify (request signature)": median_us(lambda: verifier.verify(signature, base)),
        "Ed25519 sign (response signature)": median_us(lambda: signer.sign(base)),
        "X25519 agreement (request JWE)": median_us(lambda: server.exchange(client.public_key())),
        "X25519 ephemeral key + agreement (response JWE)": median_us(
            lambda: X25519PrivateKey.generate().exchange(client.public_key())
        ),
        "AES-KW unwrap + wrap": median_us(lambda: (aes_key_unwrap(kek, wrapped), aes_key_wrap(kek, cek))),
        "AES-GCM open + seal (1 KB)": median_us(
            lambda: (AESGCM(cek).decrypt(nonce, sealed, b"aad"), AESGCM(cek).encrypt(nonce, body, b"aad"))
        ),
    }
    via_library = {
        "JWE decrypt through joserfc": median_us(lambda: codec.decrypt(token, server)),
        "JWE encrypt through joserfc": median_us(
            lambda: codec.encrypt(body, client.public_key(), recipient_kid="c", sender_kid="s")
        ),
    }
    return Floor(raw, via_library)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    floor = measure(args.rounds, args.calls)
    for name, micros in floor.raw.items():
        print(f"  {name:50s} {micros:7.1f} us")
    print(f"  {'raw cryptographic floor per round trip':50s} {floor.post_us():7.1f} us")
    for name, micros in floor.via_library.items():
        print(f"  {name:50s} {micros:7.1f} us")
    total = floor.raw["Ed25519 verify (request signature)"] + floor.raw["Ed25519 sign (response signature)"]
    total += sum(floor.via_library.values())
    print(f"  {'floor with the JOSE library the service uses':50s} {total:7.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
