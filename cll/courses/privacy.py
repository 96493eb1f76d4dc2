"""Data map of the courses app (see cll/privacy/datamap.py): the catalogue is not personal data."""

from cll.privacy.datamap import NOT_PERSONAL, register, same

register(
    "courses.Language",
    subject=None,
    description="Languages taught.",
    fields=same(NOT_PERSONAL, "id", "code", "name_fr", "name_en", "name_nl", "position"),
)

register(
    "courses.Site",
    subject=None,
    description="Teaching centres and the online classroom.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "slug",
        "name_fr",
        "name_en",
        "name_nl",
        "address",
        "is_online",
        "position",
    ),
)

register(
    "courses.Session",
    subject=None,
    description="Sessions (complete programmes) offered in the catalogue.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "slug",
        "title_fr",
        "title_en",
        "title_nl",
        "description_fr",
        "description_en",
        "description_nl",
        "language",
        "level",
        "format",
        "site",
        "starts_on",
        "ends_on",
        "hours",
        "price_cents",
        "capacity",
        # Which staff account teaches the session: the school's timetable, a reference to an
        # account whose data the accounts app maps; erasing that account empties it (SET_NULL).
        "teacher",
        "is_featured",
        "is_published",
        "created_at",
        "updated_at",
    ),
)

register(
    "courses.Course",
    subject=None,
    description="Dated units (lessons) of a session.",
    fields=same(NOT_PERSONAL, "id", "session", "date", "starts_at", "ends_at"),
)
