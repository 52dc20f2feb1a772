"""`python -m gatepost` runs the command-line interface."""

from gatepost.cli import main

main()
