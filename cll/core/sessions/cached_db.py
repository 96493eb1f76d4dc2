"""Django's cached database session store with the prepared session read
(``cll/core/sessions``)."""

from django.contrib.sessions.backends import cached_db

from cll.core.sessions import PreparedRead


class SessionStore(PreparedRead, cached_db.SessionStore):
    pass
