"""The shipped deployment files keep the controls the code relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rasa_extensions.action_server_guard import SECRET_HEADER
from ryggvett.settings import PROJECT_ROOT

KUBERNETES = PROJECT_ROOT / "deploy" / "kubernetes"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kind(path: Path, wanted: str, name: str) -> dict[str, Any]:
    [found] = [doc for doc in documents(path) if doc["kind"] == wanted and doc["metadata"]["name"] == name]
    return found


def test_every_endpoints_file_sends_the_action_secret() -> None:
    for path in (PROJECT_ROOT / "endpoints.yml", PROJECT_ROOT / "deploy" / "endpoints.cluster.yml"):
        endpoint = yaml.safe_load(path.read_text(encoding="utf-8"))["action_endpoint"]
        assert endpoint["headers"] == {SECRET_HEADER: "${RYGGVETT_ACTION_SECRET}"}, path
    values = yaml.safe_load((KUBERNETES / "rasa-values.yml").read_text(encoding="utf-8"))
    endpoint = values["applicationSettings"]["endpoints"]["additionalEndpoints"]["action_endpoint"]
    assert endpoint["headers"] == {SECRET_HEADER: "${RYGGVETT_ACTION_SECRET}"}
    secret_env = [e for e in values["extraEnv"] if e["name"] == "RYGGVETT_ACTION_SECRET"]
    assert secret_env and "secretKeyRef" in secret_env[0]["valueFrom"]


def test_the_action_server_pods_take_the_secret_and_admit_only_rasa() -> None:
    manifest = KUBERNETES / "ryggvett.yml"
    [container] = kind(manifest, "Deployment", "ryggvett-actions")["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert "secretKeyRef" in env["RYGGVETT_ACTION_SECRET"]["valueFrom"]
    policy = kind(manifest, "NetworkPolicy", "ryggvett-actions-from-rasa-only")["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app": "ryggvett-actions"}}
    assert policy["policyTypes"] == ["Ingress"]
    [rule] = policy["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rasa"}}}]


def test_only_the_chat_and_the_webhooks_are_public() -> None:
    values = yaml.safe_load((KUBERNETES / "rasa-values.yml").read_text(encoding="utf-8"))
    ingress = values["ingress"]
    public = [ingress["path"], *(extra["path"] for extra in ingress.get("extraPaths") or [])]
    assert sorted(public) == ["/socket.io/", "/webhooks/"]
    assert values["applicationSettings"]["enableAPI"] is False
    arguments = " ".join(values["args"])
    assert "--enable-api" not in arguments and "--auth-token" not in arguments and "token" not in arguments


def test_the_cluster_starts_rasa_through_the_launcher() -> None:
    # Without it the turn hook (language, safety slots, disclaimer) and the version check are missing.
    values = yaml.safe_load((KUBERNETES / "rasa-values.yml").read_text(encoding="utf-8"))
    assert values["command"] == ["python", "-m", "rasa_extensions.launch"] and values["args"][0] == "run"
