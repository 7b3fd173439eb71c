"""Benchmark of the review service: submitting a 100-word note over HTTP, and the server's memory.

Starts ``ffbcoder serve`` on 127.0.0.1 (a free port) with a fresh SQLite database in a temporary
directory (or ``--database-url``), adds a user and an API token with the CLI, waits for
``/ready``, warms up, then submits the same 100-word note ``--requests`` times from
``--concurrency`` client threads (keep-alive connections, standard library only). Reports
requests/s and latency percentiles, the server's resident memory (RSS) after warm-up and after
the run, the RSS of a fresh process after each stage of loading the server's parts, and,
measured in this process on the same machine, the warm single-note ``Suggester.suggest``
latency. ``FFBCODER_THREADS`` and the other ``FFBCODER_*`` settings pass through to the server.
Run from the repository root:

    .venv/bin/python evaluation/bench_serve.py --requests 200 --concurrency 1 --out evaluation/out/serve-bench.json

Nothing leaves 127.0.0.1. The note text is fixed below (synthetic, no real person).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
FFBCODER = [str(Path(sys.executable).parent / "ffbcoder")]
NOTE = (
    "Skolen har sendt en underretning om drengen på ni år. Han har ikke været i skole de sidste tre uger, og "
    "lærerne oplyser, at han ofte virker træt og sulten, når han møder op. Ved hjemmebesøget i går var mor "
    "påvirket, og der var ingen mad i køleskabet. Lejligheden var meget rodet, og der lå tomme flasker i stuen. "
    "Drengens lillesøster på fire år græd meget under besøget og ville ikke slippe mor. Mor fortæller, at hun "
    "har det svært efter skilsmissen og ikke kan overskue hverdagen. Far bor i Aarhus og har sjældent kontakt "
    "med børnene. Familien ønsker hjælp."
)
PASSWORD = "benchmark-password-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary_ms(latencies: list[float]) -> dict[str, float]:
    ms = [1000 * x for x in latencies]
    return {
        "n": len(ms),
        "mean": round(statistics.fmean(ms), 1),
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "p99": round(percentile(ms, 99), 1),
        "max": round(max(ms), 1),
    }


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*FFBCODER, *args], env=env, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ffbcoder {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def wait_ready(port: int, server: subprocess.Popen[bytes], timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/ready")
            if connection.getresponse().status == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server was not ready after {timeout:.0f} s")


def submit_loop(port: int, token: str, count: int, latencies: list[float], failures: list[str]) -> None:
    body = json.dumps({"text": NOTE}).encode("utf-8")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(count):
        start = time.perf_counter()
        connection.request("POST", "/api/notes", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 201:
            failures.append(f"{response.status} {payload[:200]!r}")
    connection.close()


def run_load(port: int, token: str, requests: int, concurrency: int) -> dict[str, Any]:
    per_thread = [requests // concurrency + (1 if i < requests % concurrency else 0) for i in range(concurrency)]
    latencies: list[float] = []
    failures: list[str] = []
    threads = [
        threading.Thread(target=submit_loop, args=(port, token, n, latencies, failures)) for n in per_thread if n
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return {
        "requests": requests,
        "concurrency": concurrency,
        "failures": len(failures),
        "first_failures": failures[:3],
        "wall_s": round(wall, 2),
        "requests_per_s": round(requests / wall, 2),
        "latency_ms": summary_ms(latencies),
    }


def rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    total = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    return round(total / 2**20, 1)


# Where the server's memory goes: RSS of a fresh process after each stage of loading it.
MEMORY_STAGES = """
import json, psutil, sys
rss = lambda: round(psutil.Process().memory_info().rss / 2**20, 1)
stages = {"python": rss()}
import torch; stages["import torch"] = rss()
import scipy, sklearn; stages["import scipy, scikit-learn"] = rss()
import spacy; stages["import spacy"] = rss()
import faiss; stages["import faiss"] = rss()
import alembic, litestar, sqlalchemy, uvicorn; stages["import the web stack"] = rss()
from ffbcoder.config import Settings
from ffbcoder.suggest.suggester import Suggester
suggester = Suggester.from_settings(Settings.from_env()); stages["Suggester loaded"] = rss()
suggester.suggest(sys.argv[1]); stages["after one suggest"] = rss()
print(json.dumps(stages))
"""


def memory_stages() -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_STAGES, NOTE], capture_output=True, text=True, check=True, env=os.environ
    )
    stages: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return stages


def in_process_suggest(repeats: int) -> dict[str, Any]:
    """Warm ``Suggester.suggest`` on the same note, without HTTP or the database."""
    from ffbcoder.config import Settings
    from ffbcoder.suggest.suggester import Suggester, SuggestOptions

    suggester = Suggester.from_settings(Settings.from_env())
    options = SuggestOptions(top_k=30)
    for _ in range(5):
        suggester.suggest(NOTE, options)
    latencies = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = suggester.suggest(NOTE, options)
        latencies.append(time.perf_counter() - start)
    return {"latency_ms": summary_ms(latencies), "suggestions": result.codes(), "model": result.model}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="submissions per load run (default 200)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4], help="client threads per run")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--suggest-repeats", type=int, default=200, help="in-process suggest calls (0: skip)")
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--ready-timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    if len(NOTE.split()) != 100:
        raise SystemExit("the benchmark note must have 100 words")

    with tempfile.TemporaryDirectory(prefix="ffbcoder-bench-") as tmp:
        env = {**os.environ, "FFBCODER_DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3"}
        cli(env, "users", "add", "bench", "--password-stdin", stdin=PASSWORD + "\n")
        token = cli(env, "users", "token", "bench", "--label", "benchmark")
        port = free_port()
        server = subprocess.Popen(
            [*FFBCODER, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            ready_s = wait_ready(port, server, args.ready_timeout)
            run_load(port, token, args.warmup, 1)
            rss_warm = rss_mb(server.pid)
            runs = [run_load(port, token, args.requests, c) for c in args.concurrency]
            rss_after = rss_mb(server.pid)
            full = psutil.Process(server.pid).memory_full_info()
        finally:
            server.terminate()
            server.wait(timeout=30)
    figures: dict[str, Any] = {
        "note_words": len(NOTE.split()),
        "note_chars": len(NOTE),
        "database": "sqlite (temporary file)" if not args.database_url else "given by --database-url",
        "server_ready_s": round(ready_s, 1),
        "server_rss_mb_after_warmup": rss_warm,
        "server_rss_mb_after_runs": rss_after,
        "server_uss_mb_after_runs": round(full.uss / 2**20, 1),
        "runs": runs,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    figures["rss_mb_by_loading_stage"] = memory_stages()
    if args.suggest_repeats:
        figures["in_process_suggest"] = in_process_suggest(args.suggest_repeats)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
