"""Data-subject requests from anyone (with or without an account) and the privacy officer's queue
with legal deadlines.
"""
