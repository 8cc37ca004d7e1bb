"""Card-level understanding: does the assistant pick the card that answers the question?

Test questions: tests/nlu/cards_*.yml, written by people who saw only the card titles
(never the cards' example questions or the training data). Each question is parsed by the
trained model (intent, entities); then three ways of choosing a card are scored per language:

- assistant: what the assistant does (ryggvett.card_choice): the fit to every topic card's
  questions (a linear classifier), the topic's confidence, an entity bonus and the safety
  cards; after an unclear topic, the card that clearly fits or «Mener du …?». The prompt counts
  as a miss for top-1 and as its buttons for top-3, and its rate is reported;
- rules: the entity rules alone (ryggvett.answers.select_card), as the assistant answered
  before cards listed their questions;
- tf-idf: a baseline that ignores the model: the nearest example questions over all cards;
- rasa ResponseSelector (with --response-selector): Rasa's default ResponseSelector trained on
  the cards' questions as retrieval intents (evaluation/response_selector.py).

Out-of-scope questions count as recognised when the model says out_of_scope, or falls back
and no card answers.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from ryggvett.answers import Mention
from ryggvett.card_choice import answer_message, intent_ranking, nearest_cards, strong_card, sure_card
from ryggvett.card_ranking import CardRanker
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import Card, read_content
from ryggvett.scope import default_scope
from ryggvett.settings import PROJECT_ROOT, content_dir
from ryggvett.triage import EXPLAINED_TIERS

TEST_SETS = sorted((PROJECT_ROOT / "tests" / "nlu").glob("cards_*.yml"))
NOT_UNDERSTOOD = {"out_of_scope", "nlu_fallback"}
SAFETY_INTENTS = {"report_red_flag", "report_crisis"}
OOS_SETS = {
    "first": "first sets (scope words tuned on them)",
    "new": "first sets (scope words tuned on them)",
    "blind": "second set (scope words tuned after)",
    "blind3": "third set (never tuned on)",
    "blind4": "fourth set (written 2026-12-08, not tuned on)",
}
# The assistant answers these with a card that clearly fits, or asks (action_clarify_options).
UNSURE = {"nlu_fallback", "inform"}


@dataclass(frozen=True)
class Question:
    text: str
    card: str | None  # None: out of scope
    language: str
    variety: str
    # "first" (cards_nb/en.yml: the weights were chosen on it), "new" (cards_new_*.yml: its misses were
    # studied on 2026-12-08) or "blind4" (cards_blind4.yml: measured once, never tuned on)
    part: str = "first"
    # Further cards that answer the question as well, by a second grader who saw only the cards
    # (titles and short answers), never the assistant's replies: cards overlap.
    also: tuple[str, ...] = ()

    @property
    def answered_by(self) -> set[str]:
        return {self.card, *self.also} if self.card else set()

    @property
    def groups(self) -> tuple[str, ...]:
        """The columns the question counts in: its language, and "nn/sv/da" for those varieties."""
        return (self.language, "nn/sv/da") if self.variety in ("nynorsk", "swedish", "danish") else (self.language,)


@dataclass(frozen=True)
class Parsed:
    intent: str
    mentions: tuple[Mention, ...]
    intents: tuple[tuple[str, float], ...] = ()
    # The scope guard found a word outside low back pain (then no card answers an out-of-scope message).
    outside: bool = False
    # The safety patterns' tier, if they found a sign.
    urgency: str | None = None


def read_questions(paths: Sequence[Path] = TEST_SETS) -> list[Question]:
    questions = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        part = "new" if path.name.startswith("cards_new_") else "first"
        part = {"cards_oos_blind.yml": "blind", "cards_oos_blind3.yml": "blind3", "cards_blind4.yml": "blind4"}.get(
            path.name, part
        )
        for item in data.get("questions") or ():
            also = tuple(item.get("also") or ())
            variety = item.get("variety", "")
            questions.append(Question(item["text"], item["card"], item["language"], variety, part, also))
        for item in data.get("out_of_scope") or ():
            questions.append(Question(item["text"], None, item["language"], item.get("variety", ""), part))
    return questions


def parse_all(model: Path, questions: Sequence[Question]) -> list[Parsed]:
    from evaluation.run import _agent

    agent = _agent(model)

    async def run() -> list[Parsed]:
        found = []
        for question in questions:
            parsed: dict[str, Any] = await agent.parse_message(question.text)
            mentions = tuple(
                Mention(str(e["entity"]), str(e.get("value", "")).lower(), int(e.get("start") or 0))
                for e in parsed.get("entities") or ()
            )
            intent = (parsed.get("intent") or {}).get("name") or ""
            outside = bool((parsed.get("scope") or {}).get("outside", True))
            urgency = (parsed.get("safety") or {}).get("urgency")
            found.append(Parsed(intent, mentions, tuple(intent_ranking(parsed)), outside, urgency))
        return found

    return asyncio.run(run())


def choose(
    cards: list[Card], ranker: CardRanker, question: Question, parsed: Parsed, selected: Sequence[str] | None = None
) -> dict[str, list[str]]:
    """Each method's cards for the question, best first (rules give one).

    `selected`: the cards Rasa's default ResponseSelector ranks for the question, if trained.
    """
    from ryggvett.answers import select_card
    from ryggvett.reference.content import ANY_TOPIC

    candidates = (
        [c for c in cards if any(x.intent in (parsed.intent, ANY_TOPIC) for x in c.conditions)]
        if parsed.intent in TOPIC_INTENTS
        else []
    )
    rules = select_card(candidates, parsed.intent, parsed.mentions)
    evidence = ranker.evidence(question.text)
    words = len(question.text.split())
    choice = (
        answer_message(cards, question.text, parsed.intent, parsed.mentions, parsed.intents, ranker.evidence).choice
        if parsed.intent in TOPIC_INTENTS
        else None
    )
    sure = sure_card(evidence, words) if parsed.intent in UNSURE else None
    if parsed.intent == "report_red_flag" and parsed.urgency in EXPLAINED_TIERS:
        # As action_explain_red_flag: after "see a doctor", the card that clearly fits, if any.
        explained = sure_card(evidence, words) if default_scope().names_the_back(question.text) else None
        assistant: list[str] = [explained] if explained else []
    elif parsed.intent == "out_of_scope" and not parsed.outside:
        # As action_answer_out_of_scope: a card that fits strongly answers, or none.
        strong = strong_card(evidence, words)
        assistant = [strong] if strong else []
    elif parsed.intent in UNSURE:
        offered = nearest_cards(evidence)
        assistant = [sure, *(key for key in offered if key != sure)] if sure else ["(clarify)", *offered]
    elif choice is None or choice.card is None:
        assistant = []
    elif choice.unsure:
        assistant = ["(clarify)", *(c.key for c in choice.options)]
    else:
        assistant = [choice.card.key, *(key for key, _ in choice.scores if key != choice.card.key)]
    everywhere = sorted(evidence.similarity.items(), key=lambda kv: kv[1], reverse=True)
    methods = {
        "assistant": assistant,
        "rules": [rules.key] if rules else [],
        "tf-idf": [key for key, _ in everywhere],
    }
    if selected is not None:
        methods["rasa ResponseSelector"] = list(selected)
    return methods


def evaluate(model: Path, selector_model: Path | None = None) -> tuple[list[str], dict[str, dict[str, float]]]:
    content = read_content(content_dir())
    cards = [c for c in content.cards if c.intent in TOPIC_INTENTS]
    ranker = CardRanker(cards)
    questions = read_questions()
    parsed = parse_all(model, questions)
    selected: list[Sequence[str] | None] = [None] * len(questions)
    if selector_model is not None:
        from evaluation.response_selector import rank_all

        selected = list(rank_all(selector_model, [q.text for q in questions]))
    hits: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    oos: dict[str, list[bool]] = defaultdict(list)
    oos_by_set: dict[tuple[str, str], list[bool]] = defaultdict(list)
    oos_or_doctor: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    answered_outside: list[str] = []
    for question, result, by_selector in zip(questions, parsed, selected, strict=True):
        chosen = choose(cards, ranker, question, result, by_selector)
        if question.card is None:
            answered = chosen["assistant"][:1] not in ([], ["(clarify)"])
            recognised = result.intent in NOT_UNDERSTOOD and not answered
            oos[question.language].append(recognised)
            oos_by_set[(question.part, question.language)].append(recognised)
            # The safety rules run on every message: an alarm sends the person to a doctor, never to a back card.
            oos_or_doctor[question.language].append(recognised or result.intent in SAFETY_INTENTS)
            if not recognised:
                answered_outside.append(f"- {question.text} → {', '.join(chosen['assistant'][:1]) or result.intent}")
            continue
        for group in question.groups:
            for method, keys in chosen.items():
                top3 = [key for key in keys if key != "(clarify)"][:3]
                hits[(method, group, "top1")].append(keys[:1] == [question.card])
                hits[(method, group, "top1, any card that answers")].append(bool(set(keys[:1]) & question.answered_by))
                hits[(method, group, "top3")].append(bool(set(top3) & question.answered_by))
            keys = chosen["assistant"]
            hits[(f"assistant, {question.part} set", group, "top1")].append(keys[:1] == [question.card])
            hits[(f"assistant, {question.part} set", group, "top1, any card that answers")].append(
                bool(set(keys[:1]) & question.answered_by)
            )
            top3 = [key for key in keys if key != "(clarify)"][:3]
            hits[(f"assistant, {question.part} set", group, "top3")].append(bool(set(top3) & question.answered_by))
            hits[("clarify", group, "rate")].append(keys[:1] == ["(clarify)"])
            hits[("topic", group, "right")].append(result.intent == _intent_of(cards, question.card))
        if not set(chosen["assistant"][:1]) & question.answered_by:
            got = chosen["assistant"][:4] or [result.intent]
            expected = ", ".join(sorted(question.answered_by))
            misses.append(f"- {question.text} → {', '.join(got)} (expected {expected}; topic {result.intent})")
    figures: dict[str, dict[str, float]] = defaultdict(dict)
    for (method, language, k), found in hits.items():
        figures[f"{method} {k}"][language] = sum(found) / len(found)
    for language, found in oos.items():
        figures["out of scope recognised"][language] = sum(found) / len(found)
    for (part, language), found in oos_by_set.items():
        figures[f"out of scope recognised, {OOS_SETS[part]}"][language] = sum(found) / len(found)
    for language, found in oos_or_doctor.items():
        figures["out of scope recognised, or sent to a doctor by the safety rules"][language] = sum(found) / len(found)
    counts = defaultdict(int)
    for question in questions:
        counts[(question.language, question.card is None)] += 1
    lines = [
        "# Card-level understanding",
        "",
        f"{len(questions)} questions from {', '.join(p.name for p in TEST_SETS)} (written from the card titles only):",
        ", ".join(f"{lang} {n} {'out of scope' if o else 'in scope'}" for (lang, o), n in sorted(counts.items())),
        "",
        "Top-3 counts a card that answers among the first three; a «Mener du …?» prompt is a top-1 miss.",
        "nn/sv/da: the nynorsk, Swedish- and Danish-flavoured questions (also counted in nb).",
        "",
        "| | nb | en | nn/sv/da |",
        "|---|---|---|---|",
    ]
    for name, by_group in sorted(figures.items(), key=lambda item: _row_order(item[0])):
        lines.append(f"| {name} | " + " | ".join(f"{by_group[g]:.3f}" if g in by_group else "" for g in GROUPS) + " |")
    lines += ["", "## Not answered by a card that answers the question (top-1, assistant)", "", *misses]
    lines += ["", "## Outside low back pain, but answered as a back question", "", *answered_outside]
    return lines, figures


GROUPS = ("nb", "en", "nn/sv/da")


def _row_order(name: str) -> tuple[int, str]:
    order = ("assistant top", "assistant,", "rasa", "tf-idf", "rules", "clarify", "topic", "out of scope")
    return next((n for n, prefix in enumerate(order) if name.startswith(prefix)), len(order)), name


def _intent_of(cards: list[Card], key: str) -> str | None:
    return next((card.intent for card in cards if card.key == key), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "ryggvett.tar.gz")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "nlu" / "cards.md")
    parser.add_argument(
        "--response-selector", action="store_true", help="also train and score Rasa's default ResponseSelector"
    )
    args = parser.parse_args(argv)
    selector = None
    if args.response_selector:
        from evaluation.response_selector import train

        content = read_content(content_dir())
        selector = train([c for c in content.cards if c.intent in TOPIC_INTENTS])
    lines, _ = evaluate(args.model, selector)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:20]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
