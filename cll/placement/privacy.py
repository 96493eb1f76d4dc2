"""Data map of the placement test (see cll/privacy/datamap.py): it has no model and declares
nothing.

A test's progress (the language and the number of right answers per stage, never the answers
themselves) lives in the visitor's Django session, the platform's strictly necessary session;
it goes with the session or when the test is started again. The one lasting trace is the level
a signed-in learner chooses to save, which is the learner profile's ``level`` (accounts), written
through ``accounts.services.profile_update`` with its audit entry.
"""
