"""Fill deploy/nginx.conf.template.

    python deploy/render_nginx.py WORKDIR PORT ACTIONS_PORT RASA_PORTS ACTION_PORTS [BALANCE]

RASA_PORTS and ACTION_PORTS are comma-separated ports on 127.0.0.1. BALANCE is how REST and
callback messages are shared: least_conn (the default: the server with the fewest messages in
hand; measured with make bench) or round_robin (each message to the next server in turn).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")


BALANCING = {"least_conn": "        least_conn;", "round_robin": "        # round robin"}


@dataclass(frozen=True)
class ClientLimits:
    """Per client address: requests per second with a burst on top, and open connections.

    A person chatting sends a message every few seconds; socket.io's long-polling adds a
    request or two per message. The defaults leave a clinic's waiting room on one address
    room to chat while a script gets 429s.
    """

    rate: str = "10r/s"
    burst: int = 40
    connections: int = 30


DEFAULT_LIMITS = ClientLimits()
# Load tests and the cluster tests send every conversation from one address.
ONE_ADDRESS_LOAD = ClientLimits(rate="100000r/s", burst=100000, connections=10000)


def render(
    workdir: str,
    port: int,
    actions_port: int,
    rasa_ports: list[int],
    action_ports: list[int],
    balance: str = "least_conn",
    limits: ClientLimits = DEFAULT_LIMITS,
) -> str:
    def servers(ports: list[int]) -> str:
        return "\n".join(f"        server 127.0.0.1:{p};" for p in ports)

    text = TEMPLATE.read_text(encoding="utf-8")
    values = {
        "workdir": workdir,
        "port": str(port),
        "actions_port": str(actions_port),
        "rasa_servers": servers(rasa_ports),
        "action_servers": servers(action_ports),
        "balance": BALANCING[balance],
        "rate": limits.rate,
        "burst": str(limits.burst),
        "connections": str(limits.connections),
    }
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


if __name__ == "__main__":
    workdir, port, actions_port, rasa, actions = sys.argv[1:6]
    balance = sys.argv[6] if len(sys.argv) > 6 else "least_conn"
    ports = [int(p) for p in rasa.split(",")]
    print(render(workdir, int(port), int(actions_port), ports, [int(p) for p in actions.split(",")], balance))
