"""Summarise `rasa test nlu --successes --errors` output: accuracy overall and per language.

Usage: python scripts/nlu_summary.py REPORT_DIR  (writes REPORT_DIR/summary.md and prints it)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from ryggvett.language import detect


def main(report_dir: Path) -> int:
    report = json.loads((report_dir / "intent_report.json").read_text())
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = report_dir / name
        if path.exists():
            rows += json.loads(path.read_text())
    total, correct = Counter(), Counter()
    for row in rows:
        language = detect(row["text"]).language or "unclear"
        total[language] += 1
        correct[language] += row["intent"] == (row.get("intent_prediction") or {}).get("name")
    lines = [
        "# NLU on the held-out test set",
        "",
        f"- examples: {sum(total.values())}",
        f"- intent accuracy: {report['accuracy']:.3f}",
        f"- macro F1: {report['macro avg']['f1-score']:.3f}",
        f"- weighted F1: {report['weighted avg']['f1-score']:.3f}",
    ]
    for language in sorted(total):
        lines.append(f"- accuracy, {language}: {correct[language] / total[language]:.3f} ({total[language]} examples)")
    lines += ["", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for intent, scores in sorted(report.items()):
        if (
            isinstance(scores, dict)
            and "support" in scores
            and intent not in ("macro avg", "weighted avg", "micro avg")
        ):
            lines.append(
                f"| {intent} | {scores['precision']:.2f} | {scores['recall']:.2f} | {scores['f1-score']:.2f} "
                f"| {scores['support']} |"
            )
    text = "\n".join(lines) + "\n"
    (report_dir / "summary.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
