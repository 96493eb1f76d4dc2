"""Models of the app (owned by its engineer)."""
