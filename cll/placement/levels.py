"""What each CEFR level means, for the placement test's result page.

Adapted from the Common European Framework of Reference for Languages' global scale (Council of
Europe), addressed to the learner; translated in the catalogs like every other text.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DESCRIPTORS = {
    "A1": _(
        "You can understand and use familiar everyday expressions and very basic phrases. You "
        "can introduce yourself, ask and answer simple questions about personal details, and "
        "talk in a simple way if the other person speaks slowly and clearly and is prepared "
        "to help."
    ),
    "A2": _(
        "You can understand sentences and frequent expressions about everyday matters "
        "(yourself and your family, shopping, your area, work). You can handle simple, routine "
        "exchanges and describe in simple terms your background, your surroundings and your "
        "immediate needs."
    ),
    "B1": _(
        "You can understand the main points of clear standard language on familiar matters met "
        "at work, school or leisure, and deal with most situations when travelling. You can "
        "write simple connected text on familiar topics and describe experiences, events, "
        "hopes and plans, briefly giving reasons."
    ),
    "B2": _(
        "You can understand the main ideas of complex texts on concrete and abstract topics, "
        "including technical discussions in your field. You can talk with a degree of fluency "
        "and spontaneity that makes regular conversation with native speakers quite possible, "
        "and write clear, detailed text on a wide range of subjects."
    ),
    "C1": _(
        "You can understand a wide range of demanding, longer texts and recognise implicit "
        "meaning. You express yourself fluently and spontaneously without much searching for "
        "words, use the language flexibly for social, academic and professional purposes, and "
        "write clear, well-structured, detailed text on complex subjects."
    ),
    "C2": _(
        "You can understand with ease virtually everything you hear or read, and summarise "
        "information from different sources in a coherent way. You express yourself "
        "spontaneously, very fluently and precisely, telling apart finer shades of meaning even "
        "in complex situations."
    ),
}
