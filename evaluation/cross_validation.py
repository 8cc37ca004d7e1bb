"""Stratified k-fold cross-validation of an NLU pipeline, trained fold by fold with Rasa.

python -m evaluation.cross_validation CONFIG NLU_DIR OUT_DIR [--folds 5]

`rasa test nlu --cross-validation` also predicts every training fold (five times the
training data) and draws its folds without a seed; this loop trains each fold with
Rasa's own `train_nlu`, predicts only the held-back fold, uses a fixed seed, and writes
the same `intent_report.json` shape (accuracy, macro avg) that Rasa writes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from evaluation.data import Example
from evaluation.metrics import Prediction

SEED = 2016


def cross_validate(config: Path, nlu_dir: Path, folds: int, work: Path) -> list[Prediction]:
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    import rasa_extensions

    rasa_extensions.install(rasa_extensions.patches_on())  # trained and scored as served

    from evaluation.run import predict_with_model

    data = load_data(str(nlu_dir))
    examples = data.intent_examples
    labels = [example.get("intent") for example in examples]
    predictions: list[Prediction] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for fold, (train_index, test_index) in enumerate(splitter.split(examples, labels), start=1):
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
        )
        fold_dir = work / f"fold{fold}"
        fold_dir.mkdir(parents=True, exist_ok=True)
        (fold_dir / "nlu.yml").write_text(train.nlu_as_yaml(), encoding="utf-8")
        model = train_nlu(str(config), str(fold_dir / "nlu.yml"), str(fold_dir), fixed_model_name="fold")
        if model is None:
            raise RuntimeError(f"training fold {fold} failed")
        held_back = [Example(examples[i].get("text"), examples[i].get("intent"), ()) for i in test_index]
        predictions += predict_with_model(Path(model), held_back)
        print(f"fold {fold}/{folds}: {len(train_index)} training, {len(test_index)} held back", flush=True)
    return predictions


def intent_report(predictions: list[Prediction]) -> dict:
    from sklearn.metrics import classification_report

    truth = [p.example.intent for p in predictions]
    guess = [p.intent for p in predictions]
    # Macro averages over the true intents (as evaluation.metrics does); a fallback is simply wrong.
    report = classification_report(truth, guess, labels=sorted(set(truth)), output_dict=True, zero_division=0)
    report["accuracy"] = sum(t == g for t, g in zip(truth, guess, strict=True)) / len(truth)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("config", type=Path)
    parser.add_argument("nlu_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ryggvett-cv-") as work:
        predictions = cross_validate(args.config, args.nlu_dir, args.folds, Path(work))
    report = intent_report(predictions)
    report["folds"] = args.folds
    (args.out / "intent_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"cross-validation: accuracy {report['accuracy']:.3f}, macro F1 {report['macro avg']['f1-score']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
