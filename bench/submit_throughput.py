"""Benchmark: complete API submissions per second under gunicorn, against a trivial endpoint of
the same server.

    .venv/bin/python bench/submit_throughput.py [--postgresql URL] [--seconds 20] [--clients 16]
        [--workers 4] [--rounds 2] [--profile 300] [--no-sqlite]

For SQLite (a temporary file) and, with `--postgresql`, a new schema of that PostgreSQL database
(dropped at the end): start gunicorn as `make serve` does (gunicorn.conf.py: the master migrates
and loads the whole territory map, then 4 sync workers), warm it up, then drive it from this
process with `--clients` threads in a closed loop (each sends its next request as soon as it got
the previous answer, one connection per request, as gunicorn's sync workers close them):

- `submit`: POST /api/v1/responses, a complete response (one of the four full questionnaires,
  55 to 62 answers, scale items drawn at random) with an Idempotency-Key of its own: checked,
  stored with its answers, scored and counted in the benchmark histograms in one transaction,
  201 with the scores;
- `trivial`: GET /api/v1/questionnaires — the same server, the same Flask application and
  security headers, a small JSON list from memory, no database;
- `static`: GET /static/css/app.css, served by Flask from the disk, for reference.

Each endpoint runs `--seconds` per round, the rounds interleaved (trivial, static, submit, …) so
that the machine's noise falls on all of them; prints requests/s, latency p50/p95, errors, the
CPU gunicorn used per request and how busy the whole machine was, the ratio submit/trivial, and
the targets (≥ 500 complete submissions/s on SQLite, ratio ≥ 0.3). After the run, the responses
stored are counted against the 201s.

`--profile N`: then profiles N submissions in this process with the Flask test client on a fresh
SQLite database (cProfile), after timing them without the profiler, and prints where the time
goes (by component, and the application's own functions). See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from results_latency import bench_database as fresh_bench_database  # noqa: E402
from results_latency import machine  # noqa: E402
from workshop_load import cpu_seconds, machine_busy  # noqa: E402

from tests.reliability import harness  # noqa: E402

SUBMIT_TARGET = 500.0
RATIO_TARGET = 0.3
ENDPOINTS = {
    "trivial": ("GET", "/api/v1/questionnaires"),
    "static": ("GET", "/static/css/app.css"),
    "submit": ("POST", "/api/v1/responses"),
}


class Run:
    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.seconds = 0.0
        self.server_cpu = 0.0
        self.busy = 0.0
        self.available = 0.0
        self.client_cpu = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def drive(server: harness.Server, name: str, seconds: float, clients: int,
          items: list[harness.Payload], prefix: str) -> Run:
    """`clients` threads in a closed loop on one endpoint for `seconds`."""
    run = Run(name)
    method, path = ENDPOINTS[name]
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        barrier.wait()
        turn = 0
        while not stop.is_set():
            if method == "POST":
                index = number * 100003 + turn
                reply = harness.post_response(server.port, items[index % len(items)].body,
                                              f"{prefix}-{number:03d}-{turn:06d}-k")
                status, elapsed, error = reply.status, reply.seconds, reply.error
            else:
                started = time.perf_counter()
                try:
                    status, _body = harness.get(server.port, path)
                    error = None
                except OSError as failure:
                    status, error = None, type(failure).__name__
                elapsed = time.perf_counter() - started
            turn += 1
            if stop.is_set():
                break  # finished after the window: not counted
            with run.lock:
                run.statuses[status or "no answer"] += 1
                if status in (200, 201):
                    run.latencies.append(elapsed)
                else:
                    run.errors[error or status] += 1

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    server_before = cpu_seconds(server.process.pid)
    busy_before = machine_busy()
    client_before = time.process_time()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    run.seconds = time.perf_counter() - started
    run.server_cpu = cpu_seconds(server.process.pid) - server_before
    busy_after = machine_busy()
    run.client_cpu = time.process_time() - client_before
    run.busy = busy_after[0] - busy_before[0]
    run.available = busy_after[1] - busy_before[1]
    for thread in threads:
        thread.join()
    return run


def describe(run: Run) -> str:
    errors = sum(run.errors.values())
    return (f"{run.name:8} {run.count:>7,} in {run.seconds:5.1f} s = {run.rate:7.1f}/s; "
            f"p50 {harness.percentile(run.latencies, 50) * 1000:6.1f} ms, "
            f"p95 {harness.percentile(run.latencies, 95) * 1000:6.1f} ms; errors {errors}"
            f"{' ' + str(dict(run.errors)) if errors else ''}; gunicorn CPU "
            f"{run.server_cpu / max(run.count, 1) * 1000:.2f} ms/request; machine busy "
            f"{run.busy / max(run.available, 1e-9):.0%}; client CPU {run.client_cpu:.1f} s")


def bench_database(arguments, url: str, directory: Path, label: str,
                   items: list[harness.Payload]) -> dict[str, list[Run]]:
    server = harness.Server(url, directory, workers=arguments.workers)
    runs: dict[str, list[Run]] = defaultdict(list)
    with server:
        boot = server.start()
        print(f"[{label}] gunicorn {arguments.workers} sync workers up in {boot:.1f} s "
              f"(gunicorn.conf.py; schema and whole territory map loaded by the master)")
        # Warm-up: every worker imports, connects, fills its caches.
        for name in ENDPOINTS:
            drive(server, name, 2.0, arguments.clients, items, f"warm-{name}")
        for number in range(arguments.rounds):
            for name in ENDPOINTS:
                run = drive(server, name, arguments.seconds, arguments.clients, items,
                            f"r{number}-{name}")
                runs[name].append(run)
                print(f"[{label}] round {number + 1} {describe(run)}")
    log_problems = server.log_problems()
    stored = harness.read_database(url)
    created = sum(run.statuses[201] for run in runs["submit"])
    print(f"[{label}] responses stored {len(stored.rows):,} (warm-up included); 201s in the "
          f"timed rounds {created:,}; in progress {stored.in_progress}; histogram problems "
          f"{len(stored.histogram_problems)}; integrity {stored.integrity or '-'}; gunicorn log "
          f"problems {len(log_problems)}")
    for line in log_problems[:5]:
        print(f"  {line}")
    return runs


def rate(runs: list[Run]) -> float:
    return sum(run.count for run in runs) / sum(run.seconds for run in runs)


def cpu_ms(runs: list[Run]) -> float:
    return sum(run.server_cpu for run in runs) / max(sum(run.count for run in runs), 1) * 1000


def summary(results: dict[str, dict[str, list[Run]]]) -> None:
    print()
    print("| database | complete submissions/s | trivial GET /api/v1/questionnaires /s | "
          "static GET /static/css/app.css /s | ratio submit/trivial | submit p50 / p95 (ms) | "
          "gunicorn CPU per submission / per trivial (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        latencies = [value for run in runs["submit"] for value in run.latencies]
        print(f"| {label} | {rate(runs['submit']):,.0f} | {rate(runs['trivial']):,.0f} | "
              f"{rate(runs['static']):,.0f} | "
              f"{rate(runs['submit']) / rate(runs['trivial']):.2f} | "
              f"{harness.percentile(latencies, 50) * 1000:.0f} / "
              f"{harness.percentile(latencies, 95) * 1000:.0f} | "
              f"{cpu_ms(runs['submit']):.1f} / {cpu_ms(runs['trivial']):.1f} |")
    if "SQLite" in results:
        submit = rate(results["SQLite"]["submit"])
        ratio = submit / rate(results["SQLite"]["trivial"])
        print(f"targets (SQLite): ≥ {SUBMIT_TARGET:.0f} submissions/s: {submit:.0f} "
              f"({'met' if submit >= SUBMIT_TARGET else 'MISSED'}); ratio ≥ {RATIO_TARGET}: "
              f"{ratio:.2f} ({'met' if ratio >= RATIO_TARGET else 'MISSED'})")


# --------------------------------------------------------------------------- profile


COMPONENTS = (
    ("SQLite itself (sqlite3 execute, commit)", ("sqlite3.",)),
    ("psycopg / PostgreSQL round trips", ("psycopg", "PGconn", "pq.")),
    ("SQLAlchemy (ORM, Core, compilation)", ("sqlalchemy/",)),
    ("werkzeug and Flask (routing, request, response)", ("werkzeug/", "flask/", "flask_")),
    ("json (parse, dump)", ("json/", "_json")),
    ("numpy", ("numpy/",)),
    ("questionnaires/ (answer checks)", ("/questionnaires/",)),
    ("scoring/", ("/scoring/",)),
    ("diagnostic/ (the application's own code)", ("/diagnostic/",)),
)


def component(function: tuple[str, int, str]) -> str:
    filename, _line, name = function
    where = f"{filename}:{name}"
    for label, marks in COMPONENTS:
        if any(mark in where for mark in marks):
            return label
    return "Python and the rest (typing, dataclasses, hmac, logging…)"


class Timers:
    """Wall and CPU time spent in chosen functions, measured by wrapping them in this process
    (no profiler: the figures are not inflated)."""

    def __init__(self) -> None:
        self.wall: Counter = Counter()
        self.cpu: Counter = Counter()
        self.patches: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.wall[label] += time.perf_counter() - wall
                self.cpu[label] += time.thread_time() - cpu

        setattr(owner, name, timed)
        self.patches.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self.patches):
            setattr(owner, name, original)
        self.patches.clear()


def breakdown(send, count: int) -> None:
    """Where the time of a submission goes, by wrapping the steps of POST /api/v1/responses."""
    from sqlalchemy.orm import Session

    from diagnostic.api import views
    from diagnostic.services import responses, rows, territories

    timers = Timers()
    timers.wrap(responses, "status_of", "status_of")
    timers.wrap(territories, "place", "place")
    timers.wrap(views, "check_answers", "check_answers")
    timers.wrap(views, "applicable_answers", "applicable_answers")
    timers.wrap(responses, "create_completed_response", "create_completed_response")
    timers.wrap(responses, "score_axes", "score_axes")
    timers.wrap(rows, "insert_together", "insert_together")
    timers.wrap(Session, "commit", "commit")
    timers.wrap(views, "_created_body", "_created_body")
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        for number in range(count):
            send("timers", number)
    finally:
        timers.restore()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu

    def line(label: str, seconds_wall: float, seconds_cpu: float) -> None:
        print(f"  {seconds_wall / count * 1000:6.2f} ms  {seconds_cpu / count * 1000:6.2f} ms  "
              f"{label}")

    steps = ("status_of", "place", "check_answers", "applicable_answers",
             "create_completed_response", "_created_body")
    outside = sum(timers.wall[name] for name in steps)
    outside_cpu = sum(timers.cpu[name] for name in steps)
    inner = ("score_axes", "insert_together", "commit")
    print(f"where a submission's time goes (wrapped functions, {count} submissions; wall, CPU):")
    line("the whole request through the Flask test client", wall, cpu)
    line("Flask, werkzeug, JSON body parsing and reply, outside the steps below",
         wall - outside, cpu - outside_cpu)
    line("Idempotency-Key lookup (status by token hash)", timers.wall["status_of"],
         timers.cpu["status_of"])
    line("territory lookup (kept per process)", timers.wall["place"], timers.cpu["place"])
    line("answer checks (check_answers)", timers.wall["check_answers"],
         timers.cpu["check_answers"])
    line("which answers apply (applicable_answers)", timers.wall["applicable_answers"],
         timers.cpu["applicable_answers"])
    line("store and score, one transaction (create_completed_response):",
         timers.wall["create_completed_response"], timers.cpu["create_completed_response"])
    line("  score_axes (plain floats)", timers.wall["score_axes"], timers.cpu["score_axes"])
    line("  INSERT the response, its answers, scores and histogram counts (rows.insert_together)",
         timers.wall["insert_together"], timers.cpu["insert_together"])
    line("  commit (wall − CPU ≈ waiting: for the disk, for PostgreSQL)",
         timers.wall["commit"], timers.cpu["commit"])
    line("  the rest (which answers apply, the row values, JSON of the answers)",
         timers.wall["create_completed_response"] - sum(timers.wall[name] for name in inner),
         timers.cpu["create_completed_response"] - sum(timers.cpu[name] for name in inner))
    line("reply body (_created_body)", timers.wall["_created_body"], timers.cpu["_created_body"])


def profile(count: int, database_url: str | None, items: list[harness.Payload]) -> None:
    """Time `count` submissions in-process, then profile as many more."""
    from diagnostic import create_app
    from diagnostic.cli import init_db
    from diagnostic.extensions import db

    with fresh_bench_database(database_url, "bench-submit-profile-") as (url, directory):
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": harness.SECRET_KEY,
                          "INSTANCE_PATH": str(directory / "instance")})
        with app.app_context():
            init_db()
            db.session.remove()
        client = app.test_client()
        kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"

        def send(prefix: str, number: int) -> None:
            answer = client.post("/api/v1/responses", data=items[number % len(items)].body,
                                 content_type="application/json",
                                 headers={"Idempotency-Key": f"{prefix}-{number:07d}-key"})
            if answer.status_code != 201:
                raise RuntimeError(f"{answer.status_code} {answer.get_data(as_text=True)}")

        for number in range(50):
            send("warm", number)
        started = time.perf_counter()
        cpu_started = time.process_time()
        for number in range(count):
            send("timed", number)
        wall = (time.perf_counter() - started) / count
        cpu = (time.process_time() - cpu_started) / count
        print()
        print(f"profile ({kind}, in-process, Flask test client, one thread): {count} "
              f"complete submissions at {wall * 1000:.2f} ms each ({cpu * 1000:.2f} ms CPU "
              f"in this process): one core does at most {1 / cpu:,.0f}/s")
        breakdown(send, count)
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(count):
            send("profiled", number)
        profiler.disable()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    by_component: Counter = Counter()
    for function, row in stats.stats.items():
        by_component[component(function)] += row[2]  # own time (tottime)
    print(f"under cProfile: {total / count * 1000:.2f} ms a submission (the profiler inflates "
          f"Python calls, SQLAlchemy's most); own time by component:")
    for label, seconds in by_component.most_common():
        print(f"  {seconds / total:6.1%}  {seconds / count * 1000:6.2f} ms  {label}")
    print("time inside (cumulative, per submission; nested, so they overlap):")
    wanted = (
        ("views.py", "create_response", "the whole view"),
        ("responses.py", "status_of", "Idempotency-Key lookup (status by token hash)"),
        ("territories.py", "place", "territory lookup"),
        ("answers.py", "check_answers", "answer checks"),
        ("answers.py", "applicable_answers", "which answers apply (show_if)"),
        ("responses.py", "create_completed_response", "store and score (one transaction)"),
        ("scores.py", "score_axes", "  scoring (plain floats)"),
        ("rows.py", "insert_together", "  INSERT response, answers, scores, histogram counts"),
        ("session.py", "commit", "  commit"),
        ("views.py", "_created_body", "reply body"),
    )
    seen: dict[tuple[str, str], float] = {}
    for (filename, _line, name), row in stats.stats.items():
        for suffix, function, _label in wanted:
            if filename.endswith(suffix) and name == function:
                seen[(suffix, function)] = seen.get((suffix, function), 0.0) + row[3]
    for suffix, function, label in wanted:
        if (suffix, function) in seen:
            print(f"  {seen[(suffix, function)] / count * 1000:6.2f} ms  {label} "
                  f"[{function}]")
    print("top 25 functions by own time:")
    ranked = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:25]
    for (filename, line, name), row in ranked:
        short = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"  {row[2] / count * 1000:6.3f} ms  {row[1]/count:7.1f} calls  {short}:{line}"
              f"({name})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgresql", metavar="URL",
                        help="also on PostgreSQL, in a new schema of this database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="then profile N submissions in-process (SQLite)")
    parser.add_argument("--profile-postgresql", action="store_true",
                        help="profile on the --postgresql database too")
    arguments = parser.parse_args()

    for line in machine():
        print(line)
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    items = harness.payloads(64)
    print(f"payloads: {len(items)} complete responses of {', '.join(harness.QUESTIONNAIRES)}, "
          f"{min(item.answers for item in items)}–{max(item.answers for item in items)} answers, "
          f"{min(len(item.body) for item in items):,}–{max(len(item.body) for item in items):,} "
          f"bytes of JSON; {arguments.clients} client threads, closed loop")
    databases = ([] if arguments.no_sqlite else [("SQLite", None)])
    if arguments.postgresql:
        databases.append(("PostgreSQL", arguments.postgresql))
    results: dict[str, dict[str, list[Run]]] = {}
    for label, database in databases:
        with fresh_bench_database(database, "bench-submit-") as (url, folder):
            results[label] = bench_database(arguments, url, folder, label, items)
    summary(results)
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if arguments.profile:
        profile(arguments.profile, None, items)
        if arguments.profile_postgresql and arguments.postgresql:
            profile(arguments.profile, arguments.postgresql, items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
