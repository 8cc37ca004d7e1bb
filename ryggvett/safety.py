"""One safety verdict per message, from the curated patterns and the classifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ryggvett.triage import Finding, assess, crisis, denied, red_flag


@dataclass(frozen=True)
class SafetyAssessment:
    intent: str | None  # "report_crisis", "report_red_flag" or None
    urgency: str | None  # "emergency", "gp_today", or None when no pattern gave one
    categories: tuple[str, ...]
    # The classifier saw an alarm that the patterns explain away ("ingen feber").
    overruled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "urgency": self.urgency,
            "categories": list(self.categories),
            "overruled": self.overruled,
        }


def assess_message(text: str, classified_intent: str | None = None) -> SafetyAssessment:
    """Crisis first, then red flags.

    A sign the patterns find raises the alarm whatever the classifier says. The
    classifier alone raises it too, unless the patterns saw the sign denied or
    used as a figure of speech ("no numbness", "dør av latter") and nothing else.
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
        return SafetyAssessment(classified_intent, None, categories)
    return SafetyAssessment(None, None, categories)
