"""Cookie consent, the cookie registry, Do Not Track / Global Privacy Control, and consent-gated
third-party tags.
"""
