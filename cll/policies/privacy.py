"""Data map of the policies app (see cll/privacy/datamap.py)."""
