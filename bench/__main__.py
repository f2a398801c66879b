"""`python -m bench <scenario> [options]`: run one benchmark scenario (`python -m bench -h` lists them,
`python -m bench <scenario> -h` gives its options and what it measures)."""

import importlib
import sys

from bench.scenarios import SCENARIOS

USAGE = "usage: python -m bench {" + ",".join(SCENARIOS) + "} [options]   (-h after a scenario: its help)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        print(USAGE)
        return 0 if args else 2
    scenario = SCENARIOS.get(args[0])
    if scenario is None:
        print(f"no scenario {args[0]!r}\n{USAGE}", file=sys.stderr)
        return 2
    code: int = importlib.import_module(scenario).main(args[1:])
    return code


if __name__ == "__main__":
    sys.exit(main())
