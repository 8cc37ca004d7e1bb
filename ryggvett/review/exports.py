"""Exports for improving the assistant: reviewed corrections as NLU data and CSV, a conversation as a test story."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from functools import lru_cache
from typing import Any

from ryggvett.privacy import NAME_MASK
from ryggvett.review.annotations import training_intent
from ryggvett.review.events import StoredEvent
from ryggvett.review.models import TurnAnnotationRow
from ryggvett.review.transcript import MASKED_ANSWERS, Conversation
from ryggvett.settings import PROJECT_ROOT

# Slots whose values are personal data: left out of exported stories.
PRIVATE_SLOTS = frozenset(MASKED_ANSWERS)
ONLY_MASKS = frozenset({NAME_MASK, *MASKED_ANSWERS.values()})
# A spreadsheet runs a cell starting with these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def corrections_nlu_yaml(rows: list[TurnAnnotationRow]) -> str:
    """Rasa 3 NLU training data, one block per intent, ready to add under data/nlu/."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        intent, text = training_intent(row), _one_line(row.text)
        if intent and text and text not in ONLY_MASKS and text not in by_intent[intent]:
            by_intent[intent].append(text)
    lines = ['version: "3.1"', "", "# Reviewed in the clinicians' dashboard; personal data masked.", "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_COLUMNS = (
    "conversation_id",
    "event_id",
    "text",
    "predicted_intent",
    "verdict",
    "intent",
    "note",
    "reviewer",
    "reviewed_at",
)


def corrections_csv(rows: list[TurnAnnotationRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            _cell(value)
            for value in (
                row.conversation_id,
                row.event_id,
                _one_line(row.text),
                row.predicted_intent,
                row.verdict,
                training_intent(row),
                row.note,
                row.reviewer,
                row.created_at.isoformat(timespec="seconds") if row.created_at else "",
            )
        )
    return out.getvalue()


@lru_cache(maxsize=1)
def _domain_slots() -> list[Any]:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_ROOT / "domain.yml")).slots


def test_story(conversation: Conversation, events: list[StoredEvent], corrected: dict[int, str]) -> str:
    """The conversation as a Rasa test story, with masked texts and reviewers' corrected intents."""
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.core.training_data.story_writer.yaml_story_writer import YAMLStoryWriter

    texts = {turn.event_id: turn.text for turn in conversation.messages}
    story_events: list[dict[str, Any]] = []
    for event in events:
        data = dict(event.data)
        if event.type_name == "slot" and data.get("name") in PRIVATE_SLOTS:
            continue
        if event.type_name == "user":
            parse = dict(data.get("parse_data") or {})
            masked = texts.get(event.id, "")
            # Entity offsets point into the original text; a masked text keeps only its intent.
            keep_entities = masked == data.get("text")
            data["text"] = parse["text"] = masked
            if event.id in corrected:
                parse["intent"] = {"name": corrected[event.id], "confidence": 1.0}
            parse.pop("intent_ranking", None)
            parse["entities"] = [e for e in parse.get("entities") or [] if isinstance(e, dict)] if keep_entities else []
            data["parse_data"] = parse
            data.pop("metadata", None)
        story_events.append(data)
    tracker = DialogueStateTracker.from_dict(f"review-{conversation.id}", story_events, _domain_slots())
    return YAMLStoryWriter().dumps(tracker.as_story().story_steps, is_test_story=True)
