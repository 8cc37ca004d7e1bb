"""Which topics to offer when the NLU is unsure what the person meant."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

# Offered when the NLU has no plausible topic at all: the questions most people start with.
COMMON_TOPICS: tuple[str, ...] = ("ask_pain_meaning", "ask_movement_safety", "ask_medication", "request_exercise")


def clarify_candidates(
    intent_ranking: Iterable[Mapping[str, Any]],
    topic_intents: Sequence[str],
    limit: int = 2,
    min_confidence: float = 0.05,
) -> list[str]:
    """The most likely topic intents, best first; the common topics when none is plausible."""
    ranked = sorted(
        (r for r in intent_ranking if r.get("name") in topic_intents and r.get("confidence", 0.0) >= min_confidence),
        key=lambda r: r.get("confidence", 0.0),
        reverse=True,
    )
    return [str(r["name"]) for r in ranked[:limit]] or list(COMMON_TOPICS)
