# Demo texts use real typography (en dashes in titles and ranges).
# ruff: noqa: RUF001
"""Demo content: languages, sites, sessions with their courses, and news items.

Idempotent: languages, sites and news items are updated in place (found by code or slug);
sessions carry deterministic slugs, so a second run adds only the sessions still missing
(``--sessions 500`` after a default run adds 460). Holds no personal data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cll.content.models import NewsItem
from cll.courses import services
from cll.courses.models import Format, Language, Level, Session, Site
from cll.courses.services import WeeklySchedule


@dataclass(frozen=True)
class DemoLanguage:
    code: str
    fr: str
    en: str
    nl: str
    # French needs the article form for titles such as « Stage d'anglais ».
    fr_of: str
    weight: int


LANGUAGES = [
    DemoLanguage("en", "Anglais", "English", "Engels", "d'anglais", 10),
    DemoLanguage("nl", "Néerlandais", "Dutch", "Nederlands", "de néerlandais", 9),
    DemoLanguage("fr", "Français langue étrangère", "French", "Frans", "de français", 6),
    DemoLanguage("de", "Allemand", "German", "Duits", "d'allemand", 5),
    DemoLanguage("es", "Espagnol", "Spanish", "Spaans", "d'espagnol", 5),
    DemoLanguage("it", "Italien", "Italian", "Italiaans", "d'italien", 3),
    DemoLanguage("pt", "Portugais", "Portuguese", "Portugees", "de portugais", 1),
    DemoLanguage("zh", "Chinois", "Chinese", "Chinees", "de chinois", 1),
    DemoLanguage("ja", "Japonais", "Japanese", "Japans", "de japonais", 1),
    DemoLanguage("ar", "Arabe", "Arabic", "Arabisch", "d'arabe", 1),
]
# The catalogue names "French as a foreign language" in full; titles use the short name.
LANGUAGE_NAMES = {
    "fr": {
        "fr": "Français langue étrangère",
        "en": "French as a foreign language",
        "nl": "Frans als vreemde taal",
    }
}

SITES = [
    {
        "slug": "louvain-la-neuve",
        "name_fr": "Louvain-la-Neuve",
        "name_en": "Louvain-la-Neuve",
        "name_nl": "Louvain-la-Neuve",
        "address": "Place de l'Université 25\n1348 Louvain-la-Neuve",
        "is_online": False,
        "position": 10,
    },
    {
        "slug": "woluwe",
        "name_fr": "Bruxelles-Woluwe",
        "name_en": "Brussels-Woluwe",
        "name_nl": "Brussel-Woluwe",
        "address": "Clos Chapelle-aux-Champs 30\n1200 Woluwe-Saint-Lambert",
        "is_online": False,
        "position": 20,
    },
    {
        "slug": "online",
        "name_fr": "En ligne",
        "name_en": "Online",
        "name_nl": "Online",
        "address": "",
        "is_online": True,
        "position": 30,
    },
]


@dataclass(frozen=True)
class Programme:
    """A kind of session: its format, rhythm, length, price and wording."""

    key: str
    format: str
    schedule: WeeklySchedule
    hours: int
    price_cents: int
    capacity: int
    weight: int
    title: dict[str, str]
    description: dict[str, str]
    levels: tuple[str, ...] = tuple(Level.values)
    sites: tuple[str, ...] = ("louvain-la-neuve", "woluwe")
    # Holiday courses are run in the languages children learn at school; others in all.
    languages: tuple[str, ...] | None = None


def _t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


PROGRAMMES = [
    Programme(
        key="evening",
        format=Format.GROUP,
        schedule=WeeklySchedule((1, 3), _t(18, 30), _t(20, 30)),
        hours=30,
        price_cents=39000,
        capacity=12,
        weight=8,
        title={
            "fr": "{fr} {level} – cours du soir",
            "en": "{en} {level} – evening course",
            "nl": "{nl} {level} – avondcursus",
        },
        description={
            "fr": "Deux soirées par semaine en petit groupe (12 personnes au plus) pour "
            "progresser à votre rythme après le travail. Supports de cours compris.",
            "en": "Two evenings a week in a small group (12 people at most) to make steady "
            "progress after work. Course materials included.",
            "nl": "Twee avonden per week in een kleine groep (hoogstens 12 deelnemers) om na "
            "het werk vlot vooruit te gaan. Lesmateriaal inbegrepen.",
        },
    ),
    Programme(
        key="daytime",
        format=Format.GROUP,
        schedule=WeeklySchedule((0, 2), _t(9, 30), _t(12, 30)),
        hours=30,
        price_cents=39000,
        capacity=12,
        weight=4,
        title={
            "fr": "{fr} {level} – cours de jour",
            "en": "{en} {level} – daytime course",
            "nl": "{nl} {level} – dagcursus",
        },
        description={
            "fr": "Deux matinées par semaine, idéal pour les étudiants, les demandeurs "
            "d'emploi et les personnes disponibles en journée.",
            "en": "Two mornings a week, ideal for students, jobseekers and anyone free during "
            "the day.",
            "nl": "Twee voormiddagen per week, ideaal voor studenten, werkzoekenden en "
            "iedereen die overdag beschikbaar is.",
        },
    ),
    Programme(
        key="saturday",
        format=Format.GROUP,
        schedule=WeeklySchedule((5,), _t(9, 30), _t(12, 30)),
        hours=30,
        price_cents=39000,
        capacity=12,
        weight=3,
        title={
            "fr": "{fr} {level} – cours du samedi",
            "en": "{en} {level} – Saturday course",
            "nl": "{nl} {level} – zaterdagcursus",
        },
        description={
            "fr": "Dix samedis matin pour apprendre sans empiéter sur la semaine.",
            "en": "Ten Saturday mornings to learn without giving up your weekday evenings.",
            "nl": "Tien zaterdagvoormiddagen om te leren zonder uw weekavonden op te geven.",
        },
    ),
    Programme(
        key="intensive",
        format=Format.GROUP,
        schedule=WeeklySchedule((0, 1, 2, 3, 4), _t(9), _t(12)),
        hours=30,
        price_cents=42000,
        capacity=12,
        weight=3,
        title={
            "fr": "{fr} {level} – cours intensif",
            "en": "{en} {level} – intensive course",
            "nl": "{nl} {level} – intensieve cursus",
        },
        description={
            "fr": "Tous les matins pendant deux semaines : le moyen le plus rapide de "
            "franchir un niveau.",
            "en": "Every morning for two weeks: the quickest way to reach the next level.",
            "nl": "Twee weken lang elke voormiddag: de snelste manier om een niveau hoger te "
            "komen.",
        },
    ),
    Programme(
        key="online",
        format=Format.ONLINE,
        schedule=WeeklySchedule((0, 3), _t(12, 15), _t(13, 15)),
        hours=20,
        price_cents=26000,
        capacity=8,
        weight=4,
        title={
            "fr": "{fr} {level} – classe virtuelle du midi",
            "en": "{en} {level} – lunchtime online class",
            "nl": "{nl} {level} – online middagles",
        },
        description={
            "fr": "Une heure sur le temps de midi, deux fois par semaine, dans notre classe "
            "virtuelle avec un professeur et huit participants au plus.",
            "en": "One hour at lunchtime, twice a week, in our virtual classroom with a "
            "teacher and eight participants at most.",
            "nl": "Twee keer per week een uur tijdens de middagpauze, in onze virtuele klas "
            "met een docent en hoogstens acht deelnemers.",
        },
        sites=("online",),
    ),
    Programme(
        key="individual",
        format=Format.INDIVIDUAL,
        schedule=WeeklySchedule((2,), _t(17), _t(18)),
        hours=10,
        price_cents=65000,
        capacity=1,
        weight=2,
        title={
            "fr": "{fr} – cours particuliers ({level}, 10 heures)",
            "en": "{en} – individual lessons ({level}, 10 hours)",
            "nl": "{nl} – privélessen ({level}, 10 uur)",
        },
        description={
            "fr": "Un programme sur mesure avec votre professeur, construit autour de vos "
            "objectifs. Horaire adaptable sur demande.",
            "en": "A tailor-made programme with your own teacher, built around your goals. "
            "Times can be changed on request.",
            "nl": "Een programma op maat met uw eigen docent, afgestemd op uw doelen. "
            "Uurrooster aanpasbaar op aanvraag.",
        },
    ),
    Programme(
        key="company",
        format=Format.COMPANY,
        schedule=WeeklySchedule((1,), _t(8, 30), _t(10, 30)),
        hours=40,
        price_cents=180000,
        capacity=8,
        weight=2,
        title={
            "fr": "{fr} {level} – formation en entreprise",
            "en": "{en} {level} – company training",
            "nl": "{nl} {level} – bedrijfsopleiding",
        },
        description={
            "fr": "Une formation pour une équipe de huit personnes au plus, centrée sur les "
            "situations de votre métier : réunions, téléphone, courriels. Prix par groupe.",
            "en": "Training for a team of up to eight people, focused on the situations of "
            "your job: meetings, calls, e-mails. Price per group.",
            "nl": "Een opleiding voor een team van hoogstens acht personen, gericht op de "
            "situaties uit uw vak: vergaderingen, telefoon, e-mails. Prijs per groep.",
        },
        levels=("A2", "B1", "B2", "C1"),
    ),
    Programme(
        key="teens",
        format=Format.HOLIDAY,
        schedule=WeeklySchedule((0, 1, 2, 3, 4), _t(9), _t(12)),
        hours=15,
        price_cents=19500,
        capacity=12,
        weight=2,
        title={
            "fr": "Stage {fr_of} pour ados (12–15 ans)",
            "en": "{en} holiday course for teens (12–15)",
            "nl": "Vakantiecursus {nl} voor tieners (12–15 jaar)",
        },
        description={
            "fr": "Une semaine de vacances pour parler, jouer et créer en groupe, animée par "
            "des professeurs habitués aux adolescents.",
            "en": "A holiday week to speak, play and create together, led by teachers used to "
            "working with teenagers.",
            "nl": "Een vakantieweek om samen te praten, te spelen en te creëren, begeleid door "
            "docenten die gewend zijn met tieners te werken.",
        },
        levels=("A1", "A2", "B1"),
        languages=("en", "nl", "de", "es"),
    ),
    Programme(
        key="children",
        format=Format.HOLIDAY,
        schedule=WeeklySchedule((0, 1, 2, 3, 4), _t(9), _t(12)),
        hours=15,
        price_cents=18500,
        capacity=10,
        weight=1,
        title={
            "fr": "Stage {fr_of} pour enfants (8–11 ans)",
            "en": "{en} holiday course for children (8–11)",
            "nl": "Vakantiecursus {nl} voor kinderen (8–11 jaar)",
        },
        description={
            "fr": "Des matinées ludiques pour découvrir la langue par le jeu, le chant et le "
            "bricolage.",
            "en": "Playful mornings to discover the language through games, songs and crafts.",
            "nl": "Speelse voormiddagen om de taal te ontdekken met spelletjes, liedjes en "
            "knutselwerk.",
        },
        levels=("A1", "A2"),
        languages=("en", "nl", "fr"),
    ),
]

NEWS = [
    {
        "slug": "demo-news-spring-registrations",
        "days_ago": 3,
        "title_fr": "Les inscriptions aux sessions de printemps sont ouvertes",
        "title_en": "Registration for the spring sessions is open",
        "title_nl": "De inschrijvingen voor de voorjaarssessies zijn geopend",
        "summary_fr": "Cours du soir, de jour, du samedi ou en ligne : choisissez la formule "
        "qui vous convient à Louvain-la-Neuve, à Woluwe ou depuis chez vous.",
        "summary_en": "Evening, daytime, Saturday or online courses: choose the formula that "
        "suits you in Louvain-la-Neuve, in Woluwe or from home.",
        "summary_nl": "Avond-, dag-, zaterdag- of onlinecursussen: kies de formule die bij u "
        "past, in Louvain-la-Neuve, in Woluwe of van thuis uit.",
        "body_fr": "Nos sessions de printemps commencent dans quelques semaines.\n\n"
        "- **Cours du soir** deux fois par semaine ;\n"
        "- **cours intensifs** pendant les congés ;\n"
        "- **classes virtuelles** sur le temps de midi.\n\n"
        "Vous ne connaissez pas votre niveau ? Contactez-nous : un professeur vous aidera à "
        "choisir le bon groupe.",
        "body_en": "Our spring sessions start in a few weeks.\n\n"
        "- **Evening courses** twice a week;\n"
        "- **intensive courses** during the holidays;\n"
        "- **online classes** at lunchtime.\n\n"
        "Not sure of your level? Contact us: a teacher will help you choose the right group.",
        "body_nl": "Onze voorjaarssessies beginnen over enkele weken.\n\n"
        "- **Avondcursussen** twee keer per week;\n"
        "- **intensieve cursussen** tijdens de vakanties;\n"
        "- **online lessen** tijdens de middagpauze.\n\n"
        "Twijfelt u over uw niveau? Neem contact met ons op: een docent helpt u de juiste "
        "groep te kiezen.",
    },
    {
        "slug": "demo-news-holiday-courses",
        "days_ago": 12,
        "title_fr": "Stages de vacances pour enfants et ados",
        "title_en": "Holiday courses for children and teens",
        "title_nl": "Vakantiecursussen voor kinderen en tieners",
        "summary_fr": "Une semaine pour apprendre l'anglais, le néerlandais ou l'allemand en "
        "s'amusant, pendant les congés scolaires.",
        "summary_en": "A week to learn English, Dutch or German while having fun, during the "
        "school holidays.",
        "summary_nl": "Een week om al spelend Engels, Nederlands of Duits te leren, tijdens "
        "de schoolvakanties.",
        "body_fr": "Nos stages accueillent les enfants de 8 à 11 ans et les adolescents de "
        "12 à 15 ans, par groupes de niveau.\n\nChaque matinée mêle jeux, projets et "
        "conversation, avec des professeurs formés à l'enseignement aux jeunes.",
        "body_en": "Our holiday courses welcome children aged 8 to 11 and teenagers aged "
        "12 to 15, in groups by level.\n\nEach morning mixes games, projects and "
        "conversation, with teachers trained to teach young learners.",
        "body_nl": "Onze vakantiecursussen verwelkomen kinderen van 8 tot 11 jaar en tieners "
        "van 12 tot 15 jaar, in niveaugroepen.\n\nElke voormiddag combineert spelletjes, "
        "projecten en gesprekken, met docenten die opgeleid zijn om jongeren les te geven.",
    },
    {
        "slug": "demo-news-company-training",
        "days_ago": 26,
        "title_fr": "Formations linguistiques sur mesure pour les entreprises",
        "title_en": "Tailor-made language training for companies",
        "title_nl": "Taalopleidingen op maat voor bedrijven",
        "summary_fr": "Nos formateurs viennent dans vos locaux ou donnent cours en ligne, "
        "avec un programme construit autour de votre secteur.",
        "summary_en": "Our trainers come to your premises or teach online, with a programme "
        "built around your sector.",
        "summary_nl": "Onze trainers komen naar uw kantoor of geven online les, met een "
        "programma afgestemd op uw sector.",
        "body_fr": "Réunions, appels, présentations, courriels : nous partons des situations "
        "réelles de vos équipes.\n\nUn bilan de niveau précède chaque formation et un "
        "rapport de progression la clôture.",
        "body_en": "Meetings, calls, presentations, e-mails: we start from the real "
        "situations your teams face.\n\nA level assessment comes before every training and a "
        "progress report closes it.",
        "body_nl": "Vergaderingen, telefoongesprekken, presentaties, e-mails: we vertrekken "
        "van de echte situaties van uw teams.\n\nElke opleiding begint met een niveautest "
        "en eindigt met een voortgangsrapport.",
    },
    {
        "slug": "demo-news-conversation-tables",
        "days_ago": 40,
        "title_fr": "Tables de conversation à Woluwe",
        "title_en": "Conversation tables in Woluwe",
        "title_nl": "Conversatietafels in Woluwe",
        "summary_fr": "Chaque jeudi midi, pratiquez librement votre néerlandais ou votre "
        "anglais autour d'un café.",
        "summary_en": "Every Thursday at lunchtime, practise your Dutch or English over a coffee.",
        "summary_nl": "Elke donderdagmiddag oefent u vrij uw Nederlands of Engels bij een "
        "kopje koffie.",
        "body_fr": "Les tables de conversation sont ouvertes à tous nos apprenants, à partir "
        "du niveau A2.\n\nUn professeur anime chaque table et propose un thème différent "
        "chaque semaine.",
        "body_en": "The conversation tables are open to all our learners from level A2 "
        "up.\n\nA teacher leads each table and suggests a different topic every week.",
        "body_nl": "De conversatietafels staan open voor al onze cursisten vanaf niveau "
        "A2.\n\nEen docent begeleidt elke tafel en stelt elke week een ander thema voor.",
    },
]


def _next_weekday(day: dt.date, weekdays: tuple[int, ...]) -> dt.date:
    while day.weekday() not in weekdays:
        day += dt.timedelta(days=1)
    return day


class Command(BaseCommand):
    help = (
        "Load demo content (languages, sites, sessions with their courses, news) for "
        "development and benchmarks. Idempotent; holds no personal data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sessions",
            type=int,
            default=40,
            help="How many demo sessions should exist (default 40; 500 for the benchmark).",
        )

    def handle(self, *args, sessions: int, **options):
        if sessions < 0:
            raise CommandError("--sessions must be zero or more.")
        with transaction.atomic():
            languages = self._languages()
            sites = self._sites()
            created = self._sessions(sessions, languages, sites)
            news = self._news()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {len(languages)} languages, {len(sites)} sites, "
                f"{created} sessions created ({sessions} wanted), {news} news items."
            )
        )

    def _languages(self) -> dict[str, Language]:
        result = {}
        for position, lang in enumerate(LANGUAGES, start=1):
            names = LANGUAGE_NAMES.get(lang.code, {"fr": lang.fr, "en": lang.en, "nl": lang.nl})
            result[lang.code], _ = Language.objects.update_or_create(
                code=lang.code,
                defaults={
                    "name_fr": names["fr"],
                    "name_en": names["en"],
                    "name_nl": names["nl"],
                    "position": position * 10,
                },
            )
        return result

    def _sites(self) -> dict[str, Site]:
        result = {}
        for site in SITES:
            values = dict(site)
            slug = values.pop("slug")
            result[slug], _ = Site.objects.update_or_create(slug=slug, defaults=values)
        return result

    def _sessions(self, count: int, languages: dict[str, Language], sites: dict[str, Site]):
        existing = set(
            Session.objects.filter(slug__startswith="demo-").values_list("slug", flat=True)
        )
        today = timezone.localdate()
        created = 0
        for index in range(count):
            # Each demo session is drawn from its own seeded generator: the same index always
            # gives the same session, whatever the count asked for.
            rng = random.Random(f"cll-demo-session-{index}")
            programme = rng.choices(PROGRAMMES, weights=[p.weight for p in PROGRAMMES])[0]
            candidates = [
                x for x in LANGUAGES if programme.languages is None or x.code in programme.languages
            ]
            lang = rng.choices(candidates, weights=[x.weight for x in candidates])[0]
            level = rng.choice(programme.levels)
            slug = slugify(f"demo-{lang.en}-{level}-{programme.key}")[:80] + f"-{index:04d}"
            if slug in existing:
                continue
            words = {"fr": lang.fr, "en": lang.en, "nl": lang.nl, "fr_of": lang.fr_of}
            titles = {
                code: template.format(level=level, **words)
                for code, template in programme.title.items()
            }
            first_day = _next_weekday(
                today + dt.timedelta(days=rng.randrange(-20, 200)), programme.schedule.weekdays
            )
            services.session_create(
                slug=slug,
                language=languages[lang.code],
                level=level,
                format=programme.format,
                site=sites[rng.choice(programme.sites)],
                titles=titles,
                descriptions=programme.description,
                first_day=first_day,
                hours=programme.hours,
                schedule=programme.schedule,
                price_cents=programme.price_cents,
                capacity=programme.capacity,
                is_featured=index % 7 == 0,
                is_published=True,
            )
            created += 1
        return created

    def _news(self) -> int:
        now = timezone.now()
        for item in NEWS:
            values = dict(item)
            slug = values.pop("slug")
            published_at = now - dt.timedelta(days=values.pop("days_ago"))
            # Texts are refreshed on every run; the publication date is set once.
            NewsItem.objects.update_or_create(
                slug=slug,
                defaults=values,
                create_defaults={**values, "published_at": published_at},
            )
        return len(NEWS)
