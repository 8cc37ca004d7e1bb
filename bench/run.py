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
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import DEFAULT_SCRIPTS, RYGGVETT_SCRIPTS, LevelResult, run_level
from ryggvett.settings import PROJECT_ROOT
from tests.servers import free_port, stop_process

WORK = PROJECT_ROOT / "build" / "bench"
REPORTS = PROJECT_ROOT / "reports"
RASA = str(Path(sys.executable).with_name("rasa"))
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

    def stop(self) -> None:
        for process in self.processes.values():
            stop_process(process)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


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


def start_ours(train: bool) -> System:
    system = System("Ryggvett")
    home = WORK / "ryggvett"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = base_env()
    model = PROJECT_ROOT / "models" / "ryggvett.tar.gz"
    if train:  # from an empty cache, into a separate file: the served model stays the one make built
        cache_env = {**env, "RASA_CACHE_DIRECTORY": str(home / "cache")}
        command = [RASA, "train", "--force", "--fixed-model-name", "bench", "--out", str(home)]
        system.train_seconds = timed(command, PROJECT_ROOT, cache_env, home / "train.log")
    system.model_bytes = model.stat().st_size
    actions_port, rasa_port = free_port(), free_port()
    env.update(
        RYGGVETT_TRACKER_URL=f"sqlite:///{home / 'tracker.db'}",
        RYGGVETT_ACTION_ENDPOINT=f"http://127.0.0.1:{actions_port}/webhook",
        RYGGVETT_REST_TOKEN=TOKEN,
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
    with open(home / "rasa.log", "w") as out:
        system.processes["rasa server"] = subprocess.Popen(
            [RASA, "run", "--model", str(model), "--port", str(rasa_port), "--credentials", "credentials.yml",
             "--endpoints", "endpoints.yml"],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    system.url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    system.cold_start = wait_for_answer(system.url, TOKEN, started, system.processes["rasa server"])
    return system


def start_default() -> System:
    system = System("Rasa default (rasa init)")
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


def drive(system: System, token: str | None, scripts: list[list[str]]) -> None:
    asyncio.run(run_level(system.url, token, scripts, 2, 4))  # warm-up, not counted
    for concurrency in LEVELS:
        conversations = max(10, 3 * concurrency)
        result = asyncio.run(run_level(system.url, token, scripts, concurrency, conversations))
        system.levels.append(result)
        print(
            f"{system.name:28} {concurrency:3} concurrent: {result.throughput:6.1f} msg/s, "
            f"p50 {result.median * 1000:6.0f} ms, p95 {result.percentile(95) * 1000:6.0f} ms, errors {result.errors}",
            flush=True,
        )
    system.peak_mb = {name: peak_rss_mb(process.pid) for name, process in system.processes.items()}


def plot(systems: list[System], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.2))
    for system, colour in zip(systems, ("#2f6f5e", "#b7791f"), strict=False):
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


def report(ours: System, default: System) -> str:
    def row(system: System, r: LevelResult) -> str:
        return (
            f"| {system.name} | {r.concurrency} | {r.messages} | {r.throughput:.1f} | {r.median * 1000:.0f} | "
            f"{r.percentile(95) * 1000:.0f} | {r.percentile(99) * 1000:.0f} | {r.errors} |"
        )

    lines = [
        "# Benchmark: Ryggvett against Rasa's default assistant",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}; Python {platform.python_version()}; "
        f"generated by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "Both over the REST channel, one `rasa run` process each (Ryggvett with its action server and the",
        "SQLite tracker store of `make run`; the default assistant as `rasa init` makes it, in-memory tracker",
        "store, no action server). Each level runs max(10, 3 × concurrency) multi-turn conversations, every",
        "simulated patient sending its next message when the previous one is answered.",
        "",
        "| system | concurrent | messages | msg/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
        *[row(ours, r) for r in ours.levels],
        *[row(default, r) for r in default.levels],
        "",
        "## Ryggvett as a ratio of the default assistant",
        "",
        "| concurrent | throughput ratio (higher is better) | p95 ratio (lower is better) |",
        "|---|---|---|",
    ]
    for mine, theirs in zip(ours.levels, default.levels, strict=True):
        lines.append(
            f"| {mine.concurrency} | {mine.throughput / theirs.throughput:.2f}× | "
            f"{mine.percentile(95) / theirs.percentile(95):.2f}× |"
        )
    lines += [
        "",
        "## Training, size, start, memory",
        "",
        "| | Ryggvett | default |",
        "|---|---|---|",
        f"| training time (empty cache) | {ours.train_seconds:.0f} s | "
        f"{default.train_seconds:.0f} s (all of `rasa init`) |",
        f"| model size | {ours.model_bytes / 1e6:.1f} MB | {default.model_bytes / 1e6:.1f} MB |",
        f"| cold start to first answer | {ours.cold_start:.1f} s | {default.cold_start:.1f} s |",
    ]
    for name in sorted(set(ours.peak_mb) | set(default.peak_mb)):
        mine, theirs = ours.peak_mb.get(name), default.peak_mb.get(name)
        lines.append(f"| peak memory, {name} | {mine or 0:.0f} MB | {f'{theirs:.0f} MB' if theirs else '–'} |")
    lines += ["", "![latency against load](bench-latency.png)", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-train", action="store_true", help="skip timing a training of our model")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    REPORTS.mkdir(exist_ok=True)
    default = start_default()
    try:
        drive(default, None, DEFAULT_SCRIPTS)
    finally:
        default.stop()
    ours = start_ours(train=not args.no_train)
    try:
        drive(ours, TOKEN, RYGGVETT_SCRIPTS)
    finally:
        ours.stop()
    plot([ours, default], REPORTS / "bench-latency.png")
    (REPORTS / "bench.md").write_text(report(ours, default), encoding="utf-8")
    print((REPORTS / "bench.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
