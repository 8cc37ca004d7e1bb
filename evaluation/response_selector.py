"""Rasa's default ResponseSelector as a card-choice baseline (evaluation/cards.py).

Each topic card becomes a retrieval intent under its contract intent (ask_medication/nsaid_gel)
with the card's questions and titles as examples; the pipeline is the `rasa init` one
(evaluation/configs/response_selector_default.yml). The model is trained into build/eval and
kept until the cards or the configuration change (Rasa's own fingerprint).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import yaml

from ryggvett.reference.content import Card
from ryggvett.settings import PROJECT_ROOT

CONFIG = PROJECT_ROOT / "evaluation" / "configs" / "response_selector_default.yml"
WORK = PROJECT_ROOT / "build" / "eval" / "response_selector"
MODEL_NAME = "response_selector_default"


def write_project(cards: Sequence[Card], directory: Path = WORK) -> tuple[Path, Path]:
    """Training data and domain with one retrieval intent per card; returns (nlu, domain)."""
    directory.mkdir(parents=True, exist_ok=True)
    nlu: list[dict[str, Any]] = []
    responses: dict[str, list[dict[str, str]]] = {}
    for card in cards:
        examples = [*(q for qs in card.questions.values() for q in qs), *card.title.values()]
        if not examples:
            continue
        name = f"{card.intent}/{card.key}"
        lines = "".join(f"- {' '.join(example.split())}\n" for example in dict.fromkeys(examples))
        nlu.append({"intent": name, "examples": lines})
        responses[f"utter_{name}"] = [{"text": card.key}]
    nlu_path, domain_path = directory / "nlu.yml", directory / "domain.yml"
    nlu_path.write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False), "utf-8")
    intents = sorted({card.intent for card in cards})
    domain = {"version": "3.1", "intents": intents, "responses": responses}
    domain_path.write_text(yaml.safe_dump(domain, allow_unicode=True, sort_keys=False), "utf-8")
    return nlu_path, domain_path


def train(cards: Sequence[Card], directory: Path = WORK) -> Path:
    nlu, domain = write_project(cards, directory)
    rasa = Path(sys.executable).with_name("rasa")
    command = [str(rasa), "train", "nlu", "--config", str(CONFIG), "--nlu", str(nlu), "--domain", str(domain)]
    command += ["--out", str(directory / "models"), "--fixed-model-name", MODEL_NAME]
    subprocess.run(command, check=True, cwd=directory)
    return directory / "models" / f"{MODEL_NAME}.tar.gz"


def rank_all(model: Path, texts: Sequence[str]) -> list[list[str]]:
    """The card keys the ResponseSelector ranks for each text, best first."""
    import asyncio

    from evaluation.run import _agent

    agent = _agent(model)

    async def run() -> list[list[str]]:
        found = []
        for text in texts:
            parsed = await agent.parse_message(text)
            selector = (parsed.get("response_selector") or {}).get("default") or {}
            keys = [str(r.get("intent_response_key", "")).split("/", 1)[-1] for r in selector.get("ranking") or ()]
            found.append(keys)
        return found

    return asyncio.run(run())
