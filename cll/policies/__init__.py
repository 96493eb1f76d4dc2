"""Versioned privacy policy and general terms: publishing, announcements, objection window,
acceptance records.
"""
