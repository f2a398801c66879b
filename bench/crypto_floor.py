"""`python -m bench.crypto_floor [options]`, the same as `python -m bench crypto-floor [options]`:
what one round trip's cryptography costs on this machine.
What it measures and its options: bench/scenarios/crypto_floor.py, or `python -m bench crypto-floor -h`."""

import sys

from bench.scenarios.crypto_floor import main

if __name__ == "__main__":
    sys.exit(main())
