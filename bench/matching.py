"""`python -m bench.matching [options]`, the same as `python -m bench matching [options]`:
hit/no-hit latency at scale, and what encryption at rest costs create and get.
What it measures and its options: bench/scenarios/matching.py, or `python -m bench matching -h`."""

import sys

from bench.scenarios.matching import main

if __name__ == "__main__":
    sys.exit(main())
