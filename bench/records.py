"""`python -m bench.records [options]`, the same as `python -m bench records [options]`:
alerts created and listed through the full stack, and list latency at scale.
What it measures and its options: bench/scenarios/records.py, or `python -m bench records -h`."""

import sys

from bench.scenarios.records import main

if __name__ == "__main__":
    sys.exit(main())
