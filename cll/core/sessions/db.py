"""Django's database session store with the prepared session read (``cll/core/sessions``)."""

from django.contrib.sessions.backends import db

from cll.core.sessions import PreparedRead


class SessionStore(PreparedRead, db.SessionStore):
    pass
