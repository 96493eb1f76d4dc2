"""Data map of the live chat (see cll/privacy/datamap.py)."""
