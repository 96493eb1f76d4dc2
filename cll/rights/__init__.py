"""Self-service data rights (GDPR Art. 15 to 21): download all my data, restrict, object,
erase with a grace period, and the erasure journal.
"""
