"""AWS FIS experiment templates both ways: an experiment's method as a template FIS can run,
and a template as an experiment the model can run.

Plain data in and out (documents and template dicts), so the loader reads a template wherever
it reads an experiment file; ``actions`` holds the one table of FIS actions and faults.
"""
