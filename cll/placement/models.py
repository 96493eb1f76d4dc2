"""Models of the placement test: none. The questions live in code (questions.py), a test's
progress in the session (selectors.SESSION_KEY); see privacy.py."""
