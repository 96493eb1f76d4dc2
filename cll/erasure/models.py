"""Models of the erasure app."""
