"""Data map of the rights app (see cll/privacy/datamap.py)."""
