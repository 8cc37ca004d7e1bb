"""Checks that curated content is safe to load: every failure is a clear message."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from ryggvett.contract import LANGUAGES, TOPIC_INTENTS
from ryggvett.reference.content import ANY_TOPIC, Content
from ryggvett.reference.exercise_library import validate_exercise_library


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

    for intent in topic_intents:
        for language in LANGUAGES:
            if not content.topics.get(intent, {}).get(language):
                problems.append(f"topic intent '{intent}' has no '{language}' label in topics.yml")

    general = Counter(c.intent for c in content.cards if not c.entities)
    for intent in topic_intents:
        if not any(card.intent == intent for card in content.cards):
            problems.append(f"topic intent '{intent}' has no answer card")
        elif general[intent] == 0:
            problems.append(f"topic intent '{intent}' has no general card (one without entities)")
        elif general[intent] > 1:
            problems.append(f"topic intent '{intent}' has {general[intent]} general cards; keep one")
    if content.illustrations_dir is not None:
        problems.extend(validate_exercise_library(content.exercises, source_keys, content.illustrations_dir))
    return problems
