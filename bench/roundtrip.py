"""`python -m bench.roundtrip [options]`, the same as `python -m bench roundtrip [options]`:
a signed, encrypted round trip through the full stack against a bare JSON echo.
What it measures and its options: bench/scenarios/roundtrip.py, or `python -m bench roundtrip -h`."""

import sys

from bench.scenarios.roundtrip import main

if __name__ == "__main__":
    sys.exit(main())
