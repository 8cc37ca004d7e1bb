"""One safety verdict per message, from the curated patterns and the classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ryggvett.contract import TOPIC_INTENTS
from ryggvett.triage import Finding, assess, crisis, denied, red_flag

# Every red flag in the three safety test sets (275 signs) was found by the patterns; the
# classifier alone raised alarms only on ordinary questions, below this confidence on the
# card-level test questions (0.26-0.63: weight, genes, smoking, heat or cold).
UNCONFIRMED_BELOW = 0.7


@dataclass(frozen=True)
class SafetyAssessment:
    intent: str | None  # "report_crisis", "report_red_flag" or None
    urgency: str | None  # "emergency", "gp_today", or None when no pattern gave one
    categories: tuple[str, ...]
    # The classifier saw an alarm that the patterns explain away ("ingen feber").
    overruled: bool = False
    # The classifier alone, and unsure, on a question a topic answers: no alarm, but the
    # answer starts with the red-flag checklist.
    unconfirmed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "urgency": self.urgency,
            "categories": list(self.categories),
            "overruled": self.overruled,
            "unconfirmed": self.unconfirmed,
        }


def assess_message(
    text: str,
    classified_intent: str | None = None,
    classified_confidence: float = 1.0,
    next_intent: str | None = None,
) -> SafetyAssessment:
    """Crisis first, then red flags.

    A sign the patterns find raises the alarm whatever the classifier says. The
    classifier alone raises it too, unless the patterns saw the sign denied or
    used as a figure of speech ("no numbness", "dør av latter") and nothing else.
    A red flag the classifier alone raised below UNCONFIRMED_BELOW, on a message whose
    next intent is a topic ("røyker en pakke om dagen, har det noe å si for ryggen?"),
    is `unconfirmed`: the question is answered, after the red-flag checklist.
    """
    findings: list[Finding] = assess(text)
    categories = tuple(f.category for f in findings if not f.negated)
    flag = red_flag(findings)
    urgency = flag.urgency if flag else None
    explained_away = bool(denied(findings))
    if crisis(findings):
        return SafetyAssessment("report_crisis", urgency, categories)
    if flag:
        return SafetyAssessment("report_red_flag", urgency, categories)
    if classified_intent in ("report_crisis", "report_red_flag"):
        if explained_away:
            return SafetyAssessment(None, None, categories, overruled=True)
        if (
            classified_intent == "report_red_flag"
            and classified_confidence < UNCONFIRMED_BELOW
            and next_intent in TOPIC_INTENTS
        ):
            return SafetyAssessment(None, None, categories, unconfirmed=True)
        return SafetyAssessment(classified_intent, None, categories)
    return SafetyAssessment(None, None, categories)
