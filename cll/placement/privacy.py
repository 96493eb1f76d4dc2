"""Data map of the placement test (see cll/privacy/datamap.py): it stores nothing yet."""
