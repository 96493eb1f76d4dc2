"""Data map of the app (see cll/privacy/datamap.py)."""
