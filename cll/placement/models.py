"""Models of the placement test (none yet: questions live in code, answers in the session)."""
