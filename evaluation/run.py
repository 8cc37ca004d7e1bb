"""make evaluate: held-out NLU figures for Ryggvett's pipeline, Rasa's default pipeline and TF-IDF.

python -m evaluation.run --model models/ryggvett.tar.gz [--default-model M] [--cv DIR] --out reports/nlu
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from evaluation.baseline import train_tfidf_baseline
from evaluation.data import Example, load_examples
from evaluation.metrics import Prediction, Scores, entity_scores, score, worst_confusions
from ryggvett.settings import PROJECT_ROOT
from ryggvett.typo_generator import add_typos

HELD_OUT = sorted((PROJECT_ROOT / "tests" / "nlu").glob("heldout*.yml"))
LONG_MESSAGES = PROJECT_ROOT / "tests" / "nlu" / "long_messages.yml"
NLU_DATA = PROJECT_ROOT / "data" / "nlu"
HAND_WRITTEN = [p for p in sorted(NLU_DATA.glob("*.yml")) if not p.name.endswith(".generated.yml")]
AUGMENTED = NLU_DATA / "augmented.generated.yml"
ENTITY_TYPES = ("medication", "activity", "body_part")


@lru_cache(maxsize=2)
def _agent(model: Path) -> Any:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    import rasa_extensions

    # Evaluated with the same code as served (rasa_extensions.launch).
    rasa_extensions.install(rasa_extensions.patches_on())
    # Rasa logs every parsed message at debug level; thousands of them slow the run down.
    configure_structlog(logging.WARNING)
    return Agent.load(str(model))


def predict_with_model(model: Path, examples: Sequence[Example]) -> list[Prediction]:
    agent = _agent(model)

    async def parse_all() -> list[Prediction]:
        predictions = []
        for example in examples:
            parsed = await agent.parse_message(example.text)
            entities = tuple((int(e["start"]), int(e["end"]), str(e["entity"])) for e in parsed.get("entities") or ())
            intent = parsed.get("intent") or {}
            predictions.append(Prediction(example, intent.get("name") or "", entities, intent.get("confidence") or 0))
        return predictions

    return asyncio.run(parse_all())


def predict_with_tfidf(training: Sequence[Example], examples: Sequence[Example]) -> list[Prediction]:
    model = train_tfidf_baseline([e.text for e in training], [e.intent for e in training])
    return [
        Prediction(e, intent) for e, intent in zip(examples, model.predict([e.text for e in examples]), strict=True)
    ]


def _scores_row(name: str, scores: Scores) -> str:
    languages = " | ".join(
        f"{scores.by_language.get(lang, (0, 0.0, 0.0))[1]:.3f} / {scores.by_language.get(lang, (0, 0.0, 0.0))[2]:.3f}"
        for lang in ("nb", "en")
    )
    return f"| {name} | {scores.accuracy:.3f} | {scores.macro_f1:.3f} | {languages} | {scores.fallback_rate:.1%} |"


def confusion_plot(predictions: Sequence[Prediction], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({p.example.intent for p in predictions} | {p.intent for p in predictions})
    matrix = confusion_matrix([p.example.intent for p in predictions], [p.intent for p in predictions], labels=labels)
    fig, ax = plt.subplots(figsize=(11, 10))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Ryggvett pipeline, held-out intents")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cross_validation_lines(cv_dir: Path | None) -> list[str]:
    report = cv_dir / "intent_report.json" if cv_dir else None
    if not report or not report.exists():
        return ["Cross-validation was not run (make evaluate runs it)."]
    data = json.loads(report.read_text())
    return [
        f"{data.get('folds', 5)}-fold stratified cross-validation of config.yml with 50 DIET epochs on the "
        "hand-written training data, without augmentation (each fold trained with Rasa's `train_nlu`, "
        "evaluation/cross_validation.py): "
        f"accuracy {data['accuracy']:.3f}, macro F1 {data['macro avg']['f1-score']:.3f}."
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--default-model", type=Path)
    parser.add_argument("--cv", type=Path)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "nlu")
    parser.add_argument("--summary", type=Path, default=PROJECT_ROOT / "reports" / "nlu-summary.md")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    held_out = load_examples(*HELD_OUT)
    hand_written = load_examples(*HAND_WRITTEN)
    generated = load_examples(AUGMENTED) if AUGMENTED.exists() else []
    ours = predict_with_model(args.model, held_out)
    systems = [("Ryggvett pipeline (config.yml; hand-written + generated examples)", ours)]
    if args.default_model and args.default_model.exists():
        default = predict_with_model(args.default_model, held_out)
        systems.append(("Rasa default pipeline (rasa init; hand-written, up to 40 words)", default))
    systems.append(("TF-IDF + logistic regression (hand-written)", predict_with_tfidf(hand_written, held_out)))
    if generated:
        both = [*hand_written, *generated]
        systems.append(("TF-IDF + logistic regression (hand-written + generated)", predict_with_tfidf(both, held_out)))

    typo_examples = [Example(add_typos(e.text), e.intent, ()) for e in held_out]
    typos = score(predict_with_model(args.model, typo_examples))
    long = score(predict_with_model(args.model, load_examples(LONG_MESSAGES))) if LONG_MESSAGES.exists() else None
    clean = score(ours)
    confusion_plot(ours, args.out / "confusion_matrix.png")

    lines = [
        "# NLU evaluation",
        "",
        f"Held-out test set: {len(held_out)} examples in {len(HELD_OUT)} files under tests/nlu/ "
        f"(never trained on); training data: {len(hand_written)} hand-written examples "
        f"and {len(generated)} generated from them (misspelled and long-story copies, ryggvett/augment.py).",
        "",
        "| system | accuracy | macro F1 | nb accuracy / F1 | en accuracy / F1 | fallback on in-scope |",
        "|---|---|---|---|---|---|",
        *[_scores_row(name, score(predictions)) for name, predictions in systems],
        "",
        "## Robustness (Ryggvett pipeline)",
        "",
        f"- clean held-out accuracy {clean.accuracy:.3f}",
        f"- with one or two misspellings per sentence: {typos.accuracy:.3f} ({typos.accuracy - clean.accuracy:+.3f})",
    ]
    if long:
        lines.append(
            f"- messages of 100+ words ({long.n}): {long.accuracy:.3f} ({long.accuracy - clean.accuracy:+.3f})"
        )
    lines += [
        "",
        "## Entities (exact spans, held-out)",
        "",
        "| entity | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for entity_type, (p, r, f, n) in entity_scores(ours, ENTITY_TYPES).items():
        lines.append(f"| {entity_type} | {p:.3f} | {r:.3f} | {f:.3f} | {n} |")
    lines += ["", "## Worst-confused intent pairs", ""]
    for truth, guess, count, examples in worst_confusions(ours):
        lines.append(f"- {truth} → {guess}: {count}, e.g. " + "; ".join(f"«{t}»" for t in examples))
    lines += [
        "",
        "## Cross-validation",
        "",
        *cross_validation_lines(args.cv),
        "",
        "![confusion matrix](confusion_matrix.png)",
        "",
    ]
    text = "\n".join(lines)
    (args.out / "report.md").write_text(text, encoding="utf-8")
    summary = text.split("## Entities")[0] + "Full report: reports/nlu/report.md (make evaluate).\n"
    args.summary.write_text(summary, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
