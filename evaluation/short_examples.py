"""Copy NLU training data without its longest examples, for Rasa's default pipeline.

That pipeline's transformer pads every batch to its longest message; the 2 %
of hand-written examples over 40 words make it train ten times longer
(over 16 minutes here), which would push `make evaluate` past 20 minutes.

python -m evaluation.short_examples SOURCE_DIR TARGET_FILE [MAX_WORDS]
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(source: str, target: str, max_words: int = 40) -> int:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(source)
    short = data.filter_training_examples(lambda m: len((m.get("text") or "").split()) <= max_words)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    short.persist_nlu(target)
    dropped = len(data.training_examples) - len(short.training_examples)
    print(f"{target}: {len(short.training_examples)} examples ({dropped} over {max_words} words left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4])))
