"""Data map of the erasure app (see cll/privacy/datamap.py)."""
