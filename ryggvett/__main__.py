"""Command line: python -m ryggvett {validate-content,load-content,build-nlp,build-augmented,checkin-report}."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ryggvett import settings
from ryggvett.reference.content import ContentError, read_content, read_terms
from ryggvett.reference.validation import validate


def _validate(args: argparse.Namespace) -> int:
    try:
        content = read_content(args.content)
    except ContentError as error:
        print(f"content: {error}", file=sys.stderr)
        return 1
    problems = validate(content)
    for problem in problems:
        print(f"content: {problem}", file=sys.stderr)
    if problems:
        print(f"content: {len(problems)} problem(s); nothing loaded", file=sys.stderr)
        return 1
    print(
        f"content: OK ({len(content.sources)} sources, {len(content.cards)} cards, {len(content.terms)} terms, "
        f"{len(content.exercises.exercises)} exercises)"
    )
    return 0


def _load(args: argparse.Namespace) -> int:
    from ryggvett.reference.loader import InvalidContent, load_content

    try:
        summary = load_content(read_content(args.content), args.db_url)
    except (ContentError, InvalidContent) as error:
        print(f"content: {error}", file=sys.stderr)
        return 1
    print(
        f"reference base: {summary.cards} cards, {summary.sources} sources, {summary.terms} terms, "
        f"{summary.exercises} exercises loaded"
    )
    return 0


def _build_nlp(args: argparse.Namespace) -> int:
    from ryggvett.nlp_build import build_pipeline, synonyms_yaml

    terms = read_terms(args.content / "terms.yml")
    count = build_pipeline(terms, args.output)
    args.synonyms.parent.mkdir(parents=True, exist_ok=True)
    args.synonyms.write_text(synonyms_yaml(terms), encoding="utf-8")
    print(f"spaCy pipeline: {count} patterns -> {args.output}; synonyms -> {args.synonyms}")
    return 0


def _build_augmented(args: argparse.Namespace) -> int:
    from ryggvett.augment import Context, augment, augmented_yaml, read_examples

    sources = sorted(p for p in args.data.glob("*.yml") if not p.name.endswith(".generated.yml"))
    examples = read_examples(sources)
    by_intent = augment(examples, Context.read(args.context))
    args.output.write_text(augmented_yaml(by_intent), encoding="utf-8")
    count = sum(len(texts) for texts in by_intent.values())
    print(f"augmented training data: {count} examples from {len(examples)} -> {args.output}")
    return 0


def _checkin_report(args: argparse.Namespace) -> int:
    import datetime as dt

    from ryggvett.checkin_store import aggregate

    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=args.days) if args.days else None
    figures = aggregate(args.db_url, since)
    period = f"the last {args.days} days" if args.days else "all time"
    print(f"Painkiller-habits check-ins ({period}), stored with consent:")
    print(f"  check-ins: {figures.checkins} from {figures.people} people")
    print(f"  mean painkiller days in the last 7: {figures.mean_days:.1f}")
    print(f"  mean confidence in managing daily life (0-10): {figures.mean_confidence:.1f}")
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(figures.reasons.items())) or "none"
    print(f"  main reasons: {reasons}")
    print(
        f"  people who checked in more than once: {figures.returning_people}; "
        f"of them, fewer painkiller days since their first: {figures.fewer_days}, "
        f"more confidence: {figures.more_confidence}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ryggvett")
    parser.add_argument("--content", type=Path, default=settings.content_dir())
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate-content").set_defaults(run=_validate)
    load = commands.add_parser("load-content")
    load.add_argument("--db-url", default=settings.db_url())
    load.set_defaults(run=_load)
    nlp = commands.add_parser("build-nlp")
    nlp.add_argument("--output", type=Path, default=settings.spacy_model_dir())
    nlp.add_argument("--synonyms", type=Path, default=settings.PROJECT_ROOT / "data" / "nlu" / "synonyms.generated.yml")
    nlp.set_defaults(run=_build_nlp)
    augmented = commands.add_parser("build-augmented")
    data = settings.PROJECT_ROOT / "data" / "nlu"
    augmented.add_argument("--data", type=Path, default=data)
    augmented.add_argument("--context", type=Path, default=settings.PROJECT_ROOT / "augment" / "context.yml")
    augmented.add_argument("--output", type=Path, default=data / "augmented.generated.yml")
    augmented.set_defaults(run=_build_augmented)
    report = commands.add_parser("checkin-report", help="aggregate figures of the painkiller-habits check-ins")
    report.add_argument("--db-url", default=settings.db_url())
    report.add_argument("--days", type=int, default=0, help="only the last N days (0: all)")
    report.set_defaults(run=_checkin_report)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
