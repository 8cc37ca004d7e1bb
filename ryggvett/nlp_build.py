"""Build the spaCy pipeline and the NLU synonyms from the term list.

The pipeline is `spacy.blank("nb")` plus an entity ruler; nothing is
downloaded. Rasa loads it by path (config.yml) through SpacyNLP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import spacy
import yaml

from ryggvett.reference.content import Term


def build_pipeline(terms: Iterable[Term], output_dir: Path) -> int:
    """Write the pipeline to `output_dir`; returns the number of patterns."""
    nlp = spacy.blank("nb")
    # "gla:d" would otherwise split at ":d", which the tokenizer takes for a smiley.
    nlp.tokenizer.add_special_case("gla:d", [{"ORTH": "gla:d"}])
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    patterns = [
        {"label": term.entity, "pattern": term.synonym, "id": term.value}
        for term in sorted(set(terms), key=lambda t: (t.entity, t.synonym))
    ]
    ruler.add_patterns(patterns)
    nlp.meta["name"] = "ryggvett"
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "Blank Norwegian pipeline with Ryggvett's entity ruler (built from content/terms.yml)."
    output_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    return len(patterns)


def synonyms_yaml(terms: Iterable[Term]) -> str:
    """Rasa NLU synonyms mapping every surface form to its canonical value."""
    by_value: dict[str, set[str]] = {}
    for term in terms:
        if term.synonym != term.value:
            by_value.setdefault(term.value, set()).add(term.synonym)
    lines = ["# Generated from content/terms.yml by `make nlp`; do not edit.", 'version: "3.1"', "nlu:"]
    for value, synonyms in sorted(by_value.items()):
        lines += [f"- synonym: {value}", "  examples: |"]
        lines += [f"    - {synonym}" for synonym in sorted(synonyms)]
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # a malformed term would break training later, far from its cause
    return text
