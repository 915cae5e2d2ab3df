"""Allows ``python -m chaoscli``."""

from chaoscli.cli import main

main()
