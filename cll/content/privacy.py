"""Data map of the content app (see cll/privacy/datamap.py): editorial content, not personal."""

from cll.privacy.datamap import NOT_PERSONAL, register, same

register(
    "content.NewsItem",
    subject=None,
    description="News items published on the website.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "slug",
        "title_fr",
        "title_en",
        "title_nl",
        "summary_fr",
        "summary_en",
        "summary_nl",
        "body_fr",
        "body_en",
        "body_nl",
        "published_at",
        "created_at",
        "updated_at",
    ),
)
