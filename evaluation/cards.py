"""Card-level understanding: does the assistant pick the card that answers the question?

Test questions: tests/nlu/cards_*.yml, written by people who saw only the card titles
(never the cards' example questions or the training data). Each question is parsed by the
trained model (intent, entities); then three ways of choosing a card are scored per language:

- assistant: what the assistant does (ryggvett.card_choice): safety rules, then the TF-IDF
  similarity to every topic card's questions, the topic's confidence and an entity bonus; a
  «Mener du …?» prompt counts as a miss for top-1 and as its buttons for top-3, and its rate
  is reported;
- rules: the entity rules alone (ryggvett.answers.select_card), as the assistant answered
  before cards listed their questions;
- tf-idf: a baseline that ignores the model: the nearest example questions over all cards.

Out-of-scope questions count as recognised when the model says out_of_scope or falls back.
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
from ryggvett.card_choice import choose_card, intent_ranking, nearest_cards
from ryggvett.card_ranking import CardRanker
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import Card, read_content
from ryggvett.settings import PROJECT_ROOT, content_dir

TEST_SETS = sorted((PROJECT_ROOT / "tests" / "nlu").glob("cards_*.yml"))
NOT_UNDERSTOOD = {"out_of_scope", "nlu_fallback"}


@dataclass(frozen=True)
class Question:
    text: str
    card: str | None  # None: out of scope
    language: str
    variety: str
    # "first" (cards_nb/en.yml: the weights were chosen on it) or "new" (cards_new_*.yml: never used)
    part: str = "first"


@dataclass(frozen=True)
class Parsed:
    intent: str
    mentions: tuple[Mention, ...]
    intents: tuple[tuple[str, float], ...] = ()


def read_questions(paths: Sequence[Path] = TEST_SETS) -> list[Question]:
    questions = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        part = "new" if path.name.startswith("cards_new_") else "first"
        for item in data.get("questions") or ():
            questions.append(Question(item["text"], item["card"], item["language"], item.get("variety", ""), part))
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
            found.append(Parsed(intent, mentions, tuple(intent_ranking(parsed))))
        return found

    return asyncio.run(run())


def choose(cards: list[Card], ranker: CardRanker, question: Question, parsed: Parsed) -> dict[str, list[str]]:
    """Each method's cards for the question, best first (rules give one)."""
    from ryggvett.answers import select_card
    from ryggvett.reference.content import ANY_TOPIC

    candidates = [
        c for c in cards if any(x.intent in (parsed.intent, ANY_TOPIC) for x in c.conditions)
    ] if parsed.intent in TOPIC_INTENTS else []
    rules = select_card(candidates, parsed.intent, parsed.mentions)
    similar = ranker.similarities(question.text)
    choice = (
        choose_card(cards, parsed.intent, parsed.mentions, parsed.intents, similar, len(question.text.split()))
        if parsed.intent not in NOT_UNDERSTOOD
        else None
    )
    if parsed.intent == "nlu_fallback":
        assistant: list[str] = ["(clarify)", *nearest_cards(similar)] if nearest_cards(similar) else []
    elif choice is None or choice.card is None:
        assistant = []
    elif choice.unsure:
        assistant = ["(clarify)", *(c.key for c in choice.options)]
    else:
        assistant = [choice.card.key, *(key for key, _ in choice.scores if key != choice.card.key)]
    everywhere = sorted(similar.items(), key=lambda kv: kv[1], reverse=True)
    return {
        "assistant": assistant,
        "rules": [rules.key] if rules else [],
        "tf-idf": [key for key, _ in everywhere],
    }


def evaluate(model: Path) -> tuple[list[str], dict[str, dict[str, float]]]:
    content = read_content(content_dir())
    cards = [c for c in content.cards if c.intent in TOPIC_INTENTS]
    ranker = CardRanker(cards)
    questions = read_questions()
    parsed = parse_all(model, questions)
    hits: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    oos: dict[str, list[bool]] = defaultdict(list)
    misses: list[str] = []
    for question, result in zip(questions, parsed, strict=True):
        if question.card is None:
            oos[question.language].append(result.intent in NOT_UNDERSTOOD)
            continue
        chosen = choose(cards, ranker, question, result)
        for method, keys in chosen.items():
            top3 = [key for key in keys if key != "(clarify)"][:3]
            hits[(method, question.language, "top1")].append(keys[:1] == [question.card])
            hits[(method, question.language, "top3")].append(question.card in top3)
            if method == "assistant":
                hits[(f"assistant, {question.part} set", question.language, "top1")].append(keys[:1] == [question.card])
                hits[(f"assistant, {question.part} set", question.language, "top3")].append(question.card in top3)
        hits[("clarify", question.language, "rate")].append(chosen["assistant"][:1] == ["(clarify)"])
        hits[("topic", question.language, "right")].append(result.intent == _intent_of(cards, question.card))
        if chosen["assistant"][:1] != [question.card]:
            got = chosen["assistant"][:4] or [result.intent]
            misses.append(f"- {question.text} → {', '.join(got)} (expected {question.card}; topic {result.intent})")
    figures: dict[str, dict[str, float]] = defaultdict(dict)
    for (method, language, k), found in hits.items():
        figures[f"{method} {k}"][language] = sum(found) / len(found)
    for language, found in oos.items():
        figures["out of scope recognised"][language] = sum(found) / len(found)
    counts = defaultdict(int)
    for question in questions:
        counts[(question.language, question.card is None)] += 1
    lines = [
        "# Card-level understanding",
        "",
        f"{len(questions)} questions from {', '.join(p.name for p in TEST_SETS)} (written from the card titles only):",
        ", ".join(f"{lang} {n} {'out of scope' if o else 'in scope'}" for (lang, o), n in sorted(counts.items())),
        "",
        "| | nb | en |",
        "|---|---|---|",
    ]
    for name, by_language in figures.items():
        lines.append(f"| {name} | {by_language.get('nb', 0):.3f} | {by_language.get('en', 0):.3f} |")
    lines += ["", "## Not answered with the expected card by the assistant (top-1)", "", *misses]
    return lines, figures


def _intent_of(cards: list[Card], key: str) -> str | None:
    return next((card.intent for card in cards if card.key == key), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "ryggvett.tar.gz")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "nlu" / "cards.md")
    args = parser.parse_args(argv)
    lines, _ = evaluate(args.model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:20]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
