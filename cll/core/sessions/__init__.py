"""Django's database session stores (``SESSION_ENGINE = "cll.core.sessions.db"`` or
``"cll.core.sessions.cached_db"``), reading the session row with a query built once
(``cll/core/prepared.py``): every signed-in request reads it."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone

from cll.core.prepared import RowReader

_session_by_key = RowReader(Session, "session_key", sample="")


class PreparedRead:
    def _get_session_from_db(self):
        # As Django's: the unexpired session with this key, else forget the key.
        if self.model is Session:
            session = _session_by_key.get(self.session_key)
            if session is not None and session.expire_date > timezone.now():
                return session
            self._session_key = None
            return None
        return super()._get_session_from_db()
