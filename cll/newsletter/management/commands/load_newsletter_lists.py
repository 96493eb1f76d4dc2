"""Create the newsletter's lists: news, promotions and one per language taught."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from cll.courses.models import Language
from cll.newsletter.models import MailingList

# (slug, names fr/en/nl, descriptions fr/en/nl, position). "news" is the footer's list.
LISTS = [
    (
        "news",
        ("Actualités de CLL", "CLL news", "CLL-nieuws"),
        (
            "Les nouvelles de l\u2019école\u00a0: nouvelles sessions, événements, vie des centres.",
            "News from the school: new sessions, events, life at our centres.",
            "Nieuws van de school: nieuwe sessies, evenementen, het leven in onze centra.",
        ),
        10,
    ),
    (
        "promotions",
        ("Promotions", "Promotions", "Promoties"),
        (
            "Nos offres et réductions sur les cours et les stages.",
            "Our offers and discounts on courses and holiday courses.",
            "Onze aanbiedingen en kortingen op cursussen en vakantiestages.",
        ),
        20,
    ),
]


class Command(BaseCommand):
    help = (
        "Create the newsletter lists (CLL news, promotions, one per language taught) if they "
        "do not exist; lists already there are left as staff edited them. Safe to run again."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        created = 0
        for slug, names, descriptions, position in LISTS:
            created += self._ensure(slug, names, descriptions, position)
        for language in Language.objects.order_by("position", "code"):
            names = (language.name_fr, language.name_en, language.name_nl)
            french = language.name_fr.lower()
            # "Cours d'anglais", "Cours de néerlandais": French elides before a vowel.
            of_french = f"d\u2019{french}" if french[:1] in "aeiouyéèêâîôh" else f"de {french}"
            descriptions = (
                f"Cours {of_french}\u00a0: nouvelles sessions et actualités.",
                f"{language.name_en} courses: new sessions and news.",
                f"Cursussen {language.name_nl}: nieuwe sessies en nieuws.",
            )
            created += self._ensure(
                f"language-{language.code}", names, descriptions, 100 + language.position
            )
        self.stdout.write(f"{created} newsletter list(s) created.")

    def _ensure(self, slug: str, names, descriptions, position: int) -> int:
        _list, created = MailingList.objects.get_or_create(
            slug=slug,
            defaults={
                "name_fr": names[0],
                "name_en": names[1],
                "name_nl": names[2],
                "description_fr": descriptions[0],
                "description_en": descriptions[1],
                "description_nl": descriptions[2],
                "position": min(position, 32767),
            },
        )
        return int(created)
