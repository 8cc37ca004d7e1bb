"""Checks that curated content is safe to load: every failure is a clear message."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from ryggvett.contract import LANGUAGES, TOPIC_INTENTS
from ryggvett.readability import flesch_reading_ease, lix, words
from ryggvett.reference.content import ANY_TOPIC, Card, Content
from ryggvett.reference.exercise_library import validate_exercise_library

# Plain words (issue 19): a short answer a patient reads in the chat.
MAX_SHORT_WORDS = 60
MAX_LIX_NB = 40.0
MIN_FLESCH_EN = 60.0
MIN_QUESTIONS = 10
MAX_TITLE_CHARS = 60


def validate(content: Content, topic_intents: Iterable[str] = TOPIC_INTENTS) -> list[str]:
    """Return the problems found; an empty list means the content is valid."""
    problems = list(content.problems)
    source_keys = {source.key for source in content.sources}

    for key, count in Counter(s.key for s in content.sources).items():
        if count > 1:
            problems.append(f"source '{key}' is defined {count} times")
    for key, count in Counter(c.key for c in content.cards).items():
        if count > 1:
            problems.append(f"duplicate card key '{key}' ({count} cards)")

    known_values: dict[str, set[str]] = {}
    for term in content.terms:
        known_values.setdefault(term.entity, set()).add(term.value)

    seen_specificity: dict[tuple[str, str, str], str] = {}
    for card in content.cards:
        where = f"card '{card.key}' ({card.origin})"
        if not card.sources:
            problems.append(f"{where} cites no source")
        for key in card.sources:
            if key not in source_keys:
                problems.append(f"{where} cites unknown source '{key}'")
        for language in LANGUAGES:
            if language not in card.texts:
                problems.append(f"{where} is missing the '{language}' text (short and long)")
        if card.priority not in (None, "safety"):
            problems.append(f"{where} has unknown priority '{card.priority}' (only 'safety')")
        if card.general and card.entities:
            problems.append(f"{where} is marked general but is specific to entities")
        if card.intent in topic_intents and not card.entities and not card.general and not card.questions:
            problems.append(f"{where} has no entities, is not general and lists no questions: nothing can choose it")
        if card.is_safety and not card.entities:
            problems.append(f"{where} is a safety card without the entity values it answers")
        if not card.intent:
            problems.append(f"{where} names no intent")
        if not card.reviewed_by or card.last_reviewed is None:
            problems.append(f"{where} does not record who reviewed it and when")
        for condition in card.also:
            if condition.intent != ANY_TOPIC and condition.intent not in topic_intents:
                problems.append(f"{where} is also chosen for '{condition.intent}', which is not a topic intent")
            if not condition.entities:
                problems.append(f"{where} has a further condition without entities (a second general card)")
            for entity, values in condition.entities.items():
                for value in values:
                    if value not in known_values.get(entity, set()):
                        problems.append(f"{where} is also specific to unknown {entity} value '{value}'")
        for entity, values in card.entities.items():
            for value in values:
                if value not in known_values.get(entity, set()):
                    problems.append(f"{where} is specific to unknown {entity} value '{value}'")
                slot = (card.intent, entity, value)
                if slot in seen_specificity:
                    problems.append(
                        f"{where} and card '{seen_specificity[slot]}' both answer "
                        f"{card.intent} for {entity}={value}"
                    )
                seen_specificity[slot] = card.key

        problems.extend(_plain_language(card, where))
        if card.intent in topic_intents:
            problems.extend(_titles_and_questions(card, where))

    for intent in topic_intents:
        for language in LANGUAGES:
            if not content.topics.get(intent, {}).get(language):
                problems.append(f"topic intent '{intent}' has no '{language}' label in topics.yml")

    general = Counter(c.intent for c in content.cards if c.general)
    for intent in topic_intents:
        if not any(card.intent == intent for card in content.cards):
            problems.append(f"topic intent '{intent}' has no answer card")
        elif general[intent] == 0:
            problems.append(f"topic intent '{intent}' has no general card (`general: true`)")
        elif general[intent] > 1:
            problems.append(f"topic intent '{intent}' has {general[intent]} general cards; keep one")
    if content.illustrations_dir is not None:
        problems.extend(validate_exercise_library(content.exercises, source_keys, content.illustrations_dir))
    return problems


def _plain_language(card: Card, where: str) -> list[str]:
    """Short answers of at most 60 words, LIX <= 40 (bokmål), Flesch >= 60 (English), or a written reason."""
    if card.plain_language_exception:
        return []
    problems = []
    for language, text in ((language, card.texts[language].short) for language in LANGUAGES if language in card.texts):
        count = len(words(text))
        if count > MAX_SHORT_WORDS:
            problems.append(f"{where}: the {language} short answer has {count} words (at most {MAX_SHORT_WORDS})")
    if "nb" in card.texts and (score := lix(card.texts["nb"].short)) > MAX_LIX_NB:
        problems.append(f"{where}: the nb short answer has LIX {score:.0f} (at most {MAX_LIX_NB:.0f})")
    if "en" in card.texts and (score := flesch_reading_ease(card.texts["en"].short)) < MIN_FLESCH_EN:
        problems.append(f"{where}: the en short answer has Flesch {score:.0f} (at least {MIN_FLESCH_EN:.0f})")
    return problems


def _titles_and_questions(card: Card, where: str) -> list[str]:
    """Every answer card names what it answers: a title and the patient questions, in both languages."""
    problems = []
    for language in LANGUAGES:
        title = card.title.get(language, "")
        if not title or len(title) > MAX_TITLE_CHARS:
            problems.append(f"{where} needs a {language} title of at most {MAX_TITLE_CHARS} characters")
        found = card.questions.get(language, ())
        if len(found) < MIN_QUESTIONS:
            problems.append(f"{where} lists {len(found)} {language} questions it answers (at least {MIN_QUESTIONS})")
    return problems
