"""Data map of the dsar app (see cll/privacy/datamap.py)."""
