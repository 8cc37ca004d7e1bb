"""Fill deploy/nginx.conf.template: python deploy/render_nginx.py WORKDIR PORT ACTIONS_PORT RASA_PORTS ACTION_PORTS

RASA_PORTS and ACTION_PORTS are comma-separated ports on 127.0.0.1.
"""

from __future__ import annotations

import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


def render(workdir: str, port: int, actions_port: int, rasa_ports: list[int], action_ports: list[int]) -> str:
    def servers(ports: list[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{p};" for p in ports)

    text = TEMPLATE.read_text(encoding="utf-8")
    values = {
        "workdir": workdir,
        "port": str(port),
        "actions_port": str(actions_port),
        "rasa_servers": servers(rasa_ports),
        "action_servers": servers(action_ports),
    }
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


if __name__ == "__main__":
    workdir, port, actions_port, rasa, actions = sys.argv[1:6]
    ports = [int(p) for p in rasa.split(",")]
    print(render(workdir, int(port), int(actions_port), ports, [int(p) for p in actions.split(",")]))
