"""Sweeps: one experiment judged over a grid of overrides and seeds, on a local process pool
or a Dask cluster, with every run appended to a JSON-lines file as it ends."""
