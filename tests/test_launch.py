"""The launcher: Rasa's version checked, one switch per patch, and no patch from an import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import rasa_extensions
from rasa_extensions.launch import rasa_arguments
from ryggvett.settings import PROJECT_ROOT


def test_another_rasa_version_fails_loudly():
    rasa_extensions.check_rasa_version(rasa_extensions.RASA_VERSION)
    with pytest.raises(rasa_extensions.WrongRasaVersion, match="written for Rasa 3.6.21, but Rasa 3.7.0"):
        rasa_extensions.check_rasa_version("3.7.0")


def test_each_patch_can_be_switched_off_by_name():
    assert rasa_extensions.patches_on({}) == list(rasa_extensions.PATCHES)
    on = rasa_extensions.patches_on({"RYGGVETT_PATCHES_OFF": "fast_paths, resilient_actions"})
    assert on == ["turn_hook", "unwrapped_tracker_store"]
    with pytest.raises(ValueError, match="names no patch"):
        rasa_extensions.patches_on({"RYGGVETT_PATCHES_OFF": "fast_path"})


def test_the_api_token_is_added_to_rasa_run_only():
    environ = {"RASA_API_TOKEN": "secret"}
    assert rasa_arguments(["run", "--model", "m"], environ) == [
        "run",
        "--model",
        "m",
        "--enable-api",
        "--auth-token",
        "secret",
    ]
    assert rasa_arguments(["run", "actions", "--port", "5055"], environ) == ["run", "actions", "--port", "5055"]
    assert rasa_arguments(["train", "--out", "models"], environ) == ["train", "--out", "models"]
    with pytest.raises(SystemExit):
        rasa_arguments(["run", "--auth-token", "visible"], {})


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


PATCHED = (
    "from rasa.core.actions.action import ActionExtractSlots, RemoteAction;"
    "from rasa.core.agent import Agent;"
    "print(getattr(ActionExtractSlots.run, 'runs_turn_hook', False), getattr(RemoteAction.run, 'apologises', False),"
    " Agent._create_tracker_store.__module__)"
)


def test_importing_the_store_and_the_channels_patches_nothing():
    code = (
        "import rasa_extensions.masking_tracker_store, rasa_extensions.guarded_socketio, "
        "rasa_extensions.protected_channels;" + PATCHED
    )
    result = _python(code)
    assert result.stdout.split() == ["False", "False", "rasa.core.agent"], result.stderr


def test_the_launcher_installs_the_patches_that_are_on_and_then_runs_rasa():
    result = subprocess.run(
        [sys.executable, "-m", "rasa_extensions.launch", "--version"], cwd=PROJECT_ROOT,
        env={**os.environ, "RYGGVETT_PATCHES_OFF": "fast_paths"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Ryggvett: Rasa {rasa_extensions.RASA_VERSION}, patches: turn_hook, resilient_actions," in result.stderr
    assert "fast_paths" not in result.stderr and "Rasa Version" in result.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "rasa_extensions.launch", "--version"], cwd=PROJECT_ROOT,
        env={**os.environ, "RYGGVETT_PATCHES_OFF": "no_such_patch"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert wrong.returncode != 0 and "names no patch" in wrong.stderr
    installed = _python("import rasa_extensions; rasa_extensions.install();" + PATCHED)
    assert installed.stdout.split() == ["True", "True", "rasa_extensions.masking_tracker_store"], installed.stderr
