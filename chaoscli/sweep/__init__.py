"""Sweeps: one experiment over a grid of overrides and seeds, and the answers its rows give."""
