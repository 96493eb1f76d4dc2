"""Data map of the analytics app (see cll/privacy/datamap.py)."""
