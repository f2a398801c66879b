"""`python -m app.cli`: the same as `kix`."""

from app.cli import main

main()
