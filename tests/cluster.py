"""Several Rasa servers behind nginx, with the tracker store on PostgreSQL and Rasa's Redis lock store.

Everything is a real process on this machine: redis-server and nginx from Debian's
packages (`make test` installs them), PostgreSQL from scripts/test-postgres.sh.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from deploy.render_nginx import ONE_ADDRESS_LOAD, ClientLimits, render
from tests.conftest import MODEL
from tests.servers import (
    ActionServer,
    RasaServer,
    free_port,
    start_action_server,
    start_rasa,
    stop_process,
)

ENDPOINTS = "deploy/endpoints.cluster.yml"


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass
class Redis:
    port: int
    workdir: Path
    # As docs/deploy.md asks for a Redis other machines reach: the lock store must log in.
    password: str = "test-redis-password"
    process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--requirepass", self.password]  # fmt: skip
        with open(self.workdir / "redis.log", "a") as log:
            self.process = subprocess.Popen(command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@dataclass
class Nginx:
    port: int
    actions_port: int
    workdir: Path
    balance: str = "least_conn"
    limits: ClientLimits = ONE_ADDRESS_LOAD
    process: subprocess.Popen | None = None

    def start(self, rasa_ports: list[int], action_ports: list[int]) -> None:
        conf = self.workdir / "nginx.conf"
        conf.write_text(
            render(str(self.workdir), self.port, self.actions_port, rasa_ports, action_ports, self.balance, self.limits)
        )
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        command = [binary, "-p", str(self.workdir), "-c", str(conf), "-g", "daemon off;"]
        with open(self.workdir / "nginx.out", "a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    pg_url: str
    workdir: Path
    redis: Redis
    nginx: Nginx
    actions: list[ActionServer] = field(default_factory=list)
    rasa: list[RasaServer] = field(default_factory=list)

    @property
    def rasa_ports(self) -> list[int]:
        return [int(server.url.rsplit(":", 1)[1]) for server in self.rasa]

    def stop(self) -> None:
        for server in [*self.rasa, *self.actions]:
            server.stop()
        self.nginx.stop()
        self.redis.stop()


def start_cluster(pg_url: str, workdir: Path, callback_url: str, servers: int = 2) -> Cluster:
    """`servers` Rasa servers and as many action servers, behind one nginx; Redis and PostgreSQL beside them."""
    # Each message to the next server in turn: a conversation's messages alternate between the
    # servers, the hardest case for order and locking (the deployment's default is least_conn).
    nginx = Nginx(free_port(), free_port(), workdir, balance="round_robin")
    cluster = Cluster(pg_url, workdir, Redis(free_port(), workdir), nginx)
    try:
        cluster.redis.start()
        for n in range(servers):
            home = workdir / f"actions-{n}"
            home.mkdir()
            cluster.actions.append(start_action_server(pg_url, "http://127.0.0.1:8000", home))
        action_ports = [int(server.webhook.split(":")[2].split("/")[0]) for server in cluster.actions]
        env = {
            "RYGGVETT_REDIS_HOST": "127.0.0.1",
            "RYGGVETT_REDIS_PORT": str(cluster.redis.port),
            "RYGGVETT_REDIS_PASSWORD": cluster.redis.password,
            "RYGGVETT_TRACKER_URL": pg_url,
        }
        action_endpoint = f"http://127.0.0.1:{cluster.nginx.actions_port}/webhook"

        def start(n: int) -> RasaServer:
            home = workdir / f"rasa-{n}"
            home.mkdir()
            return start_rasa(MODEL, action_endpoint, callback_url, home, pg_url, extra_env=env, endpoints=ENDPOINTS)

        with ThreadPoolExecutor(servers) as pool:  # the models load side by side
            cluster.rasa.extend(pool.map(start, range(servers)))
        cluster.nginx.start(cluster.rasa_ports, action_ports)
    except Exception:
        cluster.stop()
        raise
    return cluster
