"""Train one NLU pipeline variant and measure it on the held-out set.

python -m evaluation.experiment NAME CONFIG.yml  -> appends a row to reports/experiments.tsv
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from evaluation.data import load_examples
from evaluation.metrics import score
from evaluation.run import HELD_OUT, predict_with_model
from ryggvett.settings import PROJECT_ROOT


def train_nlu(config: Path, name: str) -> tuple[Path, float]:
    out = PROJECT_ROOT / "build" / "eval"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa_extensions.launch", "train", "nlu", "--config", str(config),
         "--nlu", "data/nlu", "--out", str(out), "--fixed-model-name", name],
        check=True, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return out / f"{name}.tar.gz", time.monotonic() - started


def main(name: str, config: str) -> int:
    model, seconds = train_nlu(Path(config), name)
    held_out = load_examples(*HELD_OUT)
    scores = score(predict_with_model(model, held_out))
    nb, en = scores.by_language.get("nb", (0, 0, 0)), scores.by_language.get("en", (0, 0, 0))
    row = (
        f"{name}\t{scores.accuracy:.3f}\t{scores.macro_f1:.3f}\t{nb[1]:.3f}\t{en[1]:.3f}\t"
        f"{scores.fallback_rate:.3f}\t{seconds:.0f}\t{len(held_out)}"
    )
    log = PROJECT_ROOT / "reports" / "experiments.tsv"
    if not log.exists():
        log.write_text("name\taccuracy\tmacro_f1\tnb_accuracy\ten_accuracy\tfallback\ttrain_seconds\theld_out\n")
    with log.open("a") as handle:
        handle.write(row + "\n")
    print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
