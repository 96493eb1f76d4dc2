"""Editorial content of the public website."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.courses.models import random_token
from cll.courses.translated import TranslatedText


def new_news_slug() -> str:
    return f"news-{random_token(10)}"


class NewsItemQuerySet(models.QuerySet):
    def published(self, now=None):
        """Items whose publication time has come (a future time schedules an item)."""
        return self.filter(published_at__lte=now or timezone.now())


class NewsItem(models.Model):
    """A news item, written in the three interface languages; the body is Markdown."""

    slug = models.SlugField(
        _("public slug"),
        max_length=96,
        unique=True,
        default=new_news_slug,
        help_text=_("Appears in the address of the page."),
    )
    title_fr = models.CharField(_("title (French)"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160)
    title_nl = models.CharField(_("title (Dutch)"), max_length=160)
    summary_fr = models.CharField(_("summary (French)"), max_length=300)
    summary_en = models.CharField(_("summary (English)"), max_length=300)
    summary_nl = models.CharField(_("summary (Dutch)"), max_length=300)
    body_fr = models.TextField(_("text (French)"), help_text=_("Markdown."))
    body_en = models.TextField(_("text (English)"), help_text=_("Markdown."))
    body_nl = models.TextField(_("text (Dutch)"), help_text=_("Markdown."))
    published_at = models.DateTimeField(
        _("published at"),
        null=True,
        blank=True,
        help_text=_("Empty: a draft. In the future: published automatically at that time."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = NewsItemQuerySet.as_manager()

    title = TranslatedText("title")
    summary = TranslatedText("summary")
    body = TranslatedText("body")

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        ordering = ["-published_at", "-id"]
        indexes = [
            # news_item_list_for (news page, home page): published items, newest first.
            models.Index(fields=["-published_at"], name="content_news_published_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:news_detail", kwargs={"slug": self.slug})
