"""Rasa adapters that are not NLU components: tracker store, channels, and patches of Rasa's internals.

The patches below are installed by the launcher (`python -m rasa_extensions.launch`, which
every make target uses to start Rasa) and by the test fixtures, never by importing a module.
Each has a switch: RYGGVETT_PATCHES_OFF=fast_paths,turn_hook leaves those out, to bisect a
problem in production. They were written for, and measured on, one Rasa version; with another
installed, installing fails loudly.
"""

from __future__ import annotations

import logging
import os
from importlib import import_module
from typing import Iterable, Mapping

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
OFF_VARIABLE = "RYGGVETT_PATCHES_OFF"
# name -> (module with its install(), what it does). Only turn_hook changes behaviour; the others
# keep Rasa's behaviour and save time (their modules say how much and what they keep the same).
PATCHES: dict[str, tuple[str, str]] = {
    "turn_hook": ("rasa_extensions.turn_hook", "language, safety slots and disclaimer after every message"),
    "resilient_actions": ("rasa_extensions.resilient_actions", "one retry and an apology when the action server fails"),
    "unwrapped_tracker_store": (
        "rasa_extensions.masking_tracker_store",
        "the masking tracker store's errors reach the channel (not swallowed by Rasa's fail-safe wrapper)",
    ),
    "fast_paths": ("rasa_extensions.fast_paths", "repeated work on every message done once"),
}
_installed: set[str] = set()


class WrongRasaVersion(RuntimeError):
    pass


def check_rasa_version(found: str | None = None) -> None:
    """Fails unless the installed Rasa is the one the patches were written for."""
    if found is None:
        from rasa.version import __version__ as found
    if found != RASA_VERSION:
        raise WrongRasaVersion(
            f"Ryggvett's patches of Rasa's internals were written for Rasa {RASA_VERSION}, but Rasa {found} "
            f"is installed. Install rasa=={RASA_VERSION} (constraints.txt), or check each patch against the new "
            f"version and turn off the others with {OFF_VARIABLE}."
        )


def patches_on(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The patches to install: all but those named in RYGGVETT_PATCHES_OFF (an unknown name fails)."""
    off = {name.strip() for name in environ.get(OFF_VARIABLE, "").split(",") if name.strip()}
    unknown = off - PATCHES.keys()
    if unknown:
        raise ValueError(f"{OFF_VARIABLE} names no patch {sorted(unknown)}; the patches are {sorted(PATCHES)}")
    return [name for name in PATCHES if name not in off]


def install(names: Iterable[str] | None = None) -> list[str]:
    """Installs the named patches (all by default) after checking Rasa's version; returns their names."""
    check_rasa_version()
    chosen = list(PATCHES if names is None else names)
    for name in chosen:
        import_module(PATCHES[name][0]).install()  # type: ignore[attr-defined]
        _installed.add(name)
    return chosen


def installed() -> frozenset[str]:
    return frozenset(_installed)


def warn_unless_installed(component: str) -> None:
    """A channel or store loaded by a Rasa started without the launcher says so: the turn hook is missing."""
    if "turn_hook" not in _installed:
        logger.warning(
            "%s is loaded but Ryggvett's turn hook is not installed (language, safety slots, disclaimer): start Rasa "
            "with `python -m rasa_extensions.launch` (make run), or RYGGVETT_PATCHES_OFF switched it off.",
            component,
        )
