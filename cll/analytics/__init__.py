"""Access logs (off the request path), salted visitor hashes, aggregates and the staff analytics
dashboard.
"""
