"""`python -m aar_tui` is the same as `aar`."""

from aar_tui.cli import main

main()
