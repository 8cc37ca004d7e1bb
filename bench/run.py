"""make bench: Ryggvett against Rasa's default assistant (rasa init), same Rasa, same machine.

Starts each stack, measures cold start (process start to first answer), then drives
1, 10, 20 and 50 concurrent simulated patients over the REST channel, and writes
reports/bench.md with ratios to the default assistant and reports/bench-latency.png.
Also measured: training time from an empty cache, and model size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import DEFAULT_SCRIPTS, RYGGVETT_SCRIPTS, LevelResult, run_level
from ryggvett.settings import PROJECT_ROOT
from tests.cluster import Nginx, Redis
from tests.servers import free_port, stop_process

WORK = PROJECT_ROOT / "build" / "bench"
REPORTS = PROJECT_ROOT / "reports"
RASA = str(Path(sys.executable).with_name("rasa"))
# Ryggvett's Rasa as make starts it: version checked, patches installed (rasa_extensions.launch).
OUR_RASA = [sys.executable, "-m", "rasa_extensions.launch"]
LEVELS = (1, 10, 20, 50)
TOKEN = "bench-token"


@dataclass
class System:
    name: str
    url: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    train_seconds: float = 0.0
    model_bytes: int = 0
    cold_start: float = 0.0
    levels: list[LevelResult] = field(default_factory=list)
    peak_mb: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    redis: Redis | None = None
    token: str | None = None
    scripts: list[list[str]] = field(default_factory=lambda: RYGGVETT_SCRIPTS)

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)
        if self.redis is not None:
            self.redis.stop()


def _family(pid: int) -> list[int]:
    return [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process and its children (Sanic workers) so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for one in _family(pid):
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory so far (VmHWM) of the process and its children (Sanic workers), in MB."""
    total = 0.0
    for one in _family(pid):
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def wait_for_answer(
    url: str, token: str | None, started: float, process: subprocess.Popen, timeout: float = 300
) -> float:
    """Seconds from `started` until the server answers a first message."""
    body = json.dumps({"sender": "bench-cold-start", "message": "hello"}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200 and json.loads(response.read()):
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} gave no answer within {timeout} s")


def timed(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with open(log, "w") as out:
        subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - started


def base_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def start_ours(train: bool, workers: int = 1, servers: int = 1) -> System:
    """As `make run` starts it; with `workers` > 1 also Rasa's Redis lock store (deploy/endpoints.cluster.yml);
    with `servers` > 1 that many one-worker Rasa servers behind nginx, as the multi-server deployment runs."""
    if servers > 1:
        name = f"Ryggvett, {servers} servers + nginx + Redis"
    else:
        name = "Ryggvett" if workers == 1 else f"Ryggvett, {workers} workers + Redis"
    system = System(name)
    home = WORK / ("ryggvett" if workers == 1 and servers == 1 else f"ryggvett-{workers}-workers-{servers}-servers")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = base_env()
    endpoints = "endpoints.yml"
    if workers > 1 or servers > 1:
        redis = Redis(free_port(), home)
        redis.start()
        system.redis = redis
        endpoints = "deploy/endpoints.cluster.yml"
        env.update(SANIC_WORKERS=str(workers), RYGGVETT_REDIS_HOST="127.0.0.1", RYGGVETT_REDIS_PORT=str(redis.port),
                   RYGGVETT_REDIS_PASSWORD=redis.password)
    model = PROJECT_ROOT / "models" / "ryggvett.tar.gz"
    if train:  # from an empty cache, into a separate file: the served model stays the one make built
        cache_env = {**env, "RASA_CACHE_DIRECTORY": str(home / "cache")}
        command = [*OUR_RASA, "train", "--force", "--fixed-model-name", "bench", "--out", str(home)]
        system.train_seconds = timed(command, PROJECT_ROOT, cache_env, home / "train.log")
    system.model_bytes = model.stat().st_size
    actions_port, rasa_ports = free_port(), [free_port() for _ in range(servers)]
    env.update(
        RYGGVETT_TRACKER_URL=f"sqlite:///{home / 'tracker.db'}",
        RYGGVETT_ACTION_ENDPOINT=f"http://127.0.0.1:{actions_port}/webhook",
        RYGGVETT_REST_TOKEN=TOKEN,
        RYGGVETT_ACTION_SECRET=secrets.token_urlsafe(32),
        RYGGVETT_CALLBACK_URL="http://127.0.0.1:9/unused",
        RYGGVETT_CORS="http://localhost:8000",
        RYGGVETT_RATE_LIMIT="1000/60",
    )
    started = time.perf_counter()
    with open(home / "actions.log", "w") as out:
        system.processes["action server"] = subprocess.Popen(
            [RASA, "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    for number, port in enumerate(rasa_ports, start=1):
        with open(home / f"rasa-{number}.log", "w") as out:
            system.processes["rasa server" + (f" #{number}" if number > 1 else "")] = subprocess.Popen(
                [*OUR_RASA, "run", "--model", str(model), "--port", str(port), "--credentials", "credentials.yml",
                 "--endpoints", endpoints],
                cwd=PROJECT_ROOT, env={**env, "SANIC_REQUEST_MAX_SIZE": "65536"}, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
    system.token = TOKEN
    servers_up = [
        wait_for_answer(f"http://127.0.0.1:{port}/webhooks/rest/webhook", TOKEN, started, process)
        for port, process in zip(
            rasa_ports, (p for n, p in system.processes.items() if n.startswith("rasa")), strict=True
        )
    ]
    system.cold_start = min(servers_up)
    system.url = f"http://127.0.0.1:{rasa_ports[0]}/webhooks/rest/webhook"
    if servers > 1:
        nginx = Nginx(free_port(), free_port(), home)
        nginx.start(rasa_ports, [actions_port])
        assert nginx.process is not None
        system.processes["nginx"] = nginx.process
        system.url = f"{nginx.url}/webhooks/rest/webhook"
    return system


def start_default() -> System:
    system = System("Rasa default (rasa init)", scripts=DEFAULT_SCRIPTS)
    home = WORK / "default"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = base_env()
    system.train_seconds = timed([RASA, "init", "--no-prompt", "--init-dir", str(home)], home, env, home / "init.log")
    [model] = sorted((home / "models").glob("*.tar.gz"))
    system.model_bytes = model.stat().st_size
    port = free_port()
    started = time.perf_counter()
    with open(home / "rasa.log", "w") as out:
        system.processes["rasa server"] = subprocess.Popen(
            [RASA, "run", "--model", str(model), "--port", str(port), "--credentials", "credentials.yml",
             "--endpoints", "endpoints.yml"],
            cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    system.url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    system.cold_start = wait_for_answer(system.url, None, started, system.processes["rasa server"])
    return system


def measure(system: System, concurrency: int) -> LevelResult:
    # Long enough that one pause of the machine does not decide a percentile (about 3,600 messages a round).
    conversations = max(20, 10 * concurrency)
    before = {name: cpu_seconds(process.pid) for name, process in system.processes.items()}
    result = asyncio.run(run_level(system.url, system.token, system.scripts, concurrency, conversations))
    result.cpu_ms = {}
    for name, process in system.processes.items():
        # The Rasa servers of a multi-server deployment count together ("rasa server #2").
        role = name.split(" #")[0]
        spent = (cpu_seconds(process.pid) - before[name]) / max(result.messages, 1) * 1000
        result.cpu_ms[role] = result.cpu_ms.get(role, 0.0) + spent
    print(
        f"{system.name:28} {concurrency:3} concurrent: {result.throughput:6.1f} msg/s, "
        f"p50 {result.median * 1000:6.0f} ms, p95 {result.percentile(95) * 1000:6.0f} ms, errors {result.errors}",
        flush=True,
    )
    return result


def drive(systems: list[System], rounds: int) -> None:
    """Each level runs `rounds` times per system, the systems taking turns in a rotating order,
    so that a slower spell of a shared machine falls on all of them alike; the median run counts."""
    for system in systems:
        asyncio.run(run_level(system.url, system.token, system.scripts, 2, 4))  # warm-up, not counted
    for level, concurrency in enumerate(LEVELS):
        runs: dict[str, list[LevelResult]] = {system.name: [] for system in systems}
        for turn in range(rounds):
            start = (level + turn) % len(systems)
            for system in systems[start:] + systems[:start]:
                runs[system.name].append(measure(system, concurrency))
        for system in systems:
            ordered = sorted(runs[system.name], key=lambda r: r.throughput)
            chosen = ordered[(len(ordered) - 1) // 2]  # the median run (the lower one of two)
            chosen.errors = sum(r.errors for r in runs[system.name])
            system.levels.append(chosen)
            if concurrency == 20:
                system.cpu_ms = chosen.cpu_ms
    for system in systems:
        for name, process in system.processes.items():  # each Rasa server's own peak
            role = name.split(" #")[0]
            system.peak_mb[role] = max(system.peak_mb.get(role, 0.0), peak_rss_mb(process.pid))


def plot(systems: list[System], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2))
    for system, colour in zip(systems, ("#2f6f5e", "#4a90c2", "#b7791f", "#8a3b5c"), strict=False):
        levels = [r.concurrency for r in system.levels]
        axis.plot(
            levels, [r.percentile(95) * 1000 for r in system.levels], "o-", color=colour, label=f"{system.name} p95"
        )
        axis.plot(
            levels, [r.median * 1000 for r in system.levels], "o--", color=colour, alpha=0.6, label=f"{system.name} p50"
        )
    axis.set_xlabel("concurrent conversations")
    axis.set_ylabel("latency per message (ms)")
    axis.set_yscale("log")
    axis.set_xticks(list(LEVELS))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("Latency against load (REST channel)")
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def table_row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def report(variants: list[System], default: System, rounds: int) -> str:
    def row(system: System, r: LevelResult) -> str:
        return (
            f"| {system.name} | {r.concurrency} | {r.messages} | {r.throughput:.1f} | {r.median * 1000:.0f} | "
            f"{r.percentile(95) * 1000:.0f} | {r.percentile(99) * 1000:.0f} | {r.errors} |"
        )

    systems = [*variants, default]
    lines = [
        "# Benchmark: Ryggvett against Rasa's default assistant",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; Python {platform.python_version()}; "
        f"generated by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "All over the REST channel. Ryggvett as `make run` starts it (one `rasa run` process, its action",
        "server, the SQLite tracker store); with two Sanic workers in one server and Rasa's Redis lock store;",
        "and as the multi-server deployment runs (docs/deploy.md): two one-worker Rasa servers behind nginx,",
        "which hands each request to the server with the fewest in hand, with the Redis lock store.",
        "The default assistant as `rasa init` makes it (one process, in-memory tracker store, no action",
        "server). Each level runs",
        "max(20, 10 × concurrency) multi-turn conversations, every simulated patient sending its next message",
        "when the previous one is answered; the client keeps a pool of connections shared by all patients.",
        f"All run side by side and take turns: each level runs {rounds} times per system in a rotating",
        "order, so that a slower spell of this shared machine falls on all alike; the table shows each",
        "system's median run (errors: all runs). Ryggvett's conversations are longer and need its action server.",
        "",
        "| system | concurrent | messages | msg/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
        *[row(system, r) for system in systems for r in system.levels],
        "",
        "## Ryggvett as a ratio of the default assistant",
        "",
        "| concurrent | " + " | ".join(f"{v.name}: throughput / p95" for v in variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for index, theirs in enumerate(default.levels):
        mine = [v.levels[index] for v in variants]
        cells = [
            f"{m.throughput / theirs.throughput:.2f}× / {m.percentile(95) / theirs.percentile(95):.2f}×" for m in mine
        ]
        lines.append(f"| {theirs.concurrency} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Throughput: higher is better; p95: lower is better.",
        "",
        "## Where the time goes: CPU per answered message, by process (at 20 concurrent)",
        "",
        "| system | " + " | ".join(sorted({n for s in systems for n in s.cpu_ms})) + " |",
        "|---|" + "---|" * len({n for s in systems for n in s.cpu_ms}),
    ]
    names = sorted({n for s in systems for n in s.cpu_ms})
    for system in systems:
        lines.append(
            table_row(system.name, [f"{system.cpu_ms[n]:.1f} ms" if n in system.cpu_ms else "–" for n in names])
        )
    lines += [
        "",
        "## Training, size, start, memory",
        "",
        "| | " + " | ".join(s.name for s in systems) + " |",
        "|---|" + "---|" * len(systems),
        "| training time (empty cache) | " + " | ".join(f"{s.train_seconds:.0f} s" for s in systems) + " |",
        "| model size | " + " | ".join(f"{s.model_bytes / 1e6:.1f} MB" for s in systems) + " |",
        "| cold start to first answer | " + " | ".join(f"{s.cold_start:.1f} s" for s in systems) + " |",
    ]
    for name in sorted({n for s in systems for n in s.peak_mb}):
        lines.append(
            table_row(
                f"peak memory, {name}", [f"{s.peak_mb[name]:.0f} MB" if name in s.peak_mb else "–" for s in systems]
            )
        )
    lines += [
        "",
        "The default assistant's training time is all of `rasa init` (it trains while creating the project).",
        "",
        "![latency against load](bench-latency.png)",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-train", action="store_true", help="skip timing a training of our model")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each level per system, interleaved")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    REPORTS.mkdir(exist_ok=True)
    systems: list[System] = []
    try:
        default = start_default()
        systems.append(default)
        ours = start_ours(train=not args.no_train)
        systems.append(ours)
        variants = [ours]
        for workers, servers in ((2, 1), (1, 2)):
            scaled = start_ours(train=False, workers=workers, servers=servers)
            scaled.train_seconds = ours.train_seconds
            systems.append(scaled)
            variants.append(scaled)
        drive([*variants, default], args.rounds)
    finally:
        for system in systems:
            system.stop()
    plot([*variants, default], REPORTS / "bench-latency.png")
    (REPORTS / "bench.md").write_text(report(variants, default, args.rounds), encoding="utf-8")
    print((REPORTS / "bench.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
