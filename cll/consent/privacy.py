"""Data map of the consent app (see cll/privacy/datamap.py)."""
