"""Benchmark: bulk-load demo responses, then time the results page of real responses among them.

    .venv/bin/python bench/results_latency.py [--responses 1000000] [--database-url URL]

On a fresh database (a temporary SQLite file by default; with a PostgreSQL URL, a new schema of
that database, dropped at the end): migrate and load the whole territory map and reference data,
seed N demo responses (`diagnostic.services.demo.seed_demo`) and report the rate, complete ~50
real responses through `diagnostic.services.responses`, then time GET `/r/<token>/resultats` with
the Flask test client (in-process: the time is the server's) and compare with the 50 ms target.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 50.0


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    import numpy
    import sqlalchemy

    return [
        f"machine: nproc {cores}, {model}{memory}",
        f"system:  {platform.platform()}",
        f"python:  {platform.python_version()} ({platform.python_implementation()}), "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}, "
        f"numpy {numpy.__version__}",
    ]


@contextmanager
def fresh_database(url: str | None, directory: Path, keep: bool):
    """A SQLite file in `directory`, or a new schema of the PostgreSQL database of `url`."""
    if not url or url.startswith("sqlite"):
        yield url or f"sqlite:///{directory / 'bench.sqlite3'}"
        return
    import psycopg

    plain = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in plain else "?"
    try:
        yield f"{plain}{separator}options=-csearch_path%3D{schema}"
    finally:
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        if keep:
            print(f"kept schema {schema}")
        else:
            with psycopg.connect(plain, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def bench_database(url: str | None, prefix: str, keep: bool = False):
    """A temporary folder and a fresh database in it (`fresh_database`); both removed at the
    end unless `keep`. Yields (database URL, folder)."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with fresh_database(url, directory, keep) as database:
            yield database, directory
    finally:
        if keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def answer(question, rng: random.Random, territory: str):
    """A plausible answer to one question (None: « ne sait pas »; ... : no answer)."""
    kind = question.type
    if kind == "territory":
        return territory
    if kind == "text":
        return ...
    if question.offers_dont_know and rng.random() < 0.05:
        return None
    if kind == "scale":
        return rng.choice(question.scale.values).value
    if kind == "choice":
        if question.option("oui") and rng.random() < 0.6:
            return "oui"
        return rng.choice(question.options).value
    if kind == "multi_choice":
        return [o.value for o in rng.sample(question.options, min(2, len(question.options)))]
    if kind == "ranking":
        count = min(question.max_choices or 3, len(question.options))
        return [o.value for o in rng.sample(question.options, count)]
    if kind == "number":
        return int(question.minimum or 0)
    return ...


def complete_real_responses(count: int, seed: int) -> list[str]:
    """Complete `count` responses as the respondent pages do; return their private tokens."""
    from sqlalchemy import select

    from diagnostic.extensions import db
    from diagnostic.models import Territory
    from diagnostic.registry import catalog
    from diagnostic.services import responses
    from questionnaires import applicable_answers

    rng = random.Random(seed)
    communes = db.session.scalars(
        select(Territory)
        .where(Territory.level == "commune")
        .order_by(Territory.population.desc().nulls_last())
        .limit(200)
    ).all()
    questionnaires = list(catalog().latest("full"))
    tokens = []
    for number in range(count):
        questionnaire = questionnaires[number % len(questionnaires)]
        territory = rng.choice(communes)
        drawn = {q.id: answer(q, rng, territory.key) for q in questionnaire.questions}
        answers = applicable_answers(
            questionnaire, {k: v for k, v in drawn.items() if v is not ...}
        )
        response, token = responses.start_response(questionnaire, "fr")
        for index, section in enumerate(questionnaire.sections):
            asked = {q.id for q in section.questions}
            responses.save_section(
                response,
                questionnaire,
                section,
                {k: v for k, v in answers.items() if k in asked},
                territory if any(q.type == "territory" for q in section.questions) else None,
                resume_at=min(index + 1, len(questionnaire.sections) - 1),
            )
        responses.complete_response(response, questionnaire)
        tokens.append(token)
    return tokens


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--responses",
        type=int,
        default=1_000_000,
        help="demo responses to seed (default 1,000,000)",
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: a temporary SQLite "
        "file); PostgreSQL: the benchmark works in a new schema it drops",
    )
    parser.add_argument("--batch", type=int, default=20_000, help="responses per batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real", type=int, default=50, help="real responses to complete")
    parser.add_argument("--requests", type=int, default=500, help="timed results pages")
    parser.add_argument("--warmup", type=int, default=50, help="untimed results pages first")
    parser.add_argument("--purge", action="store_true", help="time purge_demo() at the end")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    for line in machine():
        print(line)
    with bench_database(arguments.database_url, "bench-results-", arguments.keep) as (url, folder):
        return run(arguments, url, folder)


def run(arguments, url: str, directory: Path) -> int:
    from sqlalchemy import func, select

    from diagnostic import create_app
    from diagnostic.cli import init_db
    from diagnostic.extensions import db
    from diagnostic.models import Answer
    from diagnostic.services.demo import demo_count, purge_demo, seed_demo

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": str(directory / "instance"),
        }
    )
    with app.app_context():
        started = time.perf_counter()
        init_db()
        print(
            f"init-db (schema, territories, reference data): {time.perf_counter() - started:.1f} s"
        )
        version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        print(
            f"database: {db.engine.dialect.name} {version} "
            f"({db.engine.url.render_as_string(hide_password=True)})"
        )

        n = arguments.responses
        done = 0
        step = max(n // 10, 1)
        next_report = step
        seed_started = loaded = time.perf_counter()

        def progress(k: int) -> None:
            nonlocal done, next_report, loaded
            done += k
            loaded = time.perf_counter()
            if done >= next_report or done == n:
                elapsed = time.perf_counter() - seed_started
                print(
                    f"  {done:>10,} responses  {elapsed:7.1f} s  {done / elapsed:9,.0f}/s",
                    flush=True,
                )
                while next_report <= done:
                    next_report += step

        print(f"seed_demo({n:,}, batch={arguments.batch:,}):")
        created = seed_demo(n, seed=arguments.seed, progress=progress, batch=arguments.batch)
        seconds = time.perf_counter() - seed_started
        answers = db.session.scalar(select(func.count()).select_from(Answer))
        print(
            f"seeded {created:,} demo responses with {answers:,} answers "
            f"({answers / max(created, 1):.1f} per response) in {seconds:.1f} s: "
            f"{loaded - seed_started:.1f} s loading, {seed_started + seconds - loaded:.1f} s "
            f"rebuilding the benchmark histograms"
        )
        print(
            f"rate: {created / seconds:,.0f} responses/s, {answers / seconds:,.0f} answer rows/s"
            f"; demo responses in the database: {demo_count():,}"
        )
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
            print(f"SQLite file: {size / 1024**3:.2f} GiB")

        started = time.perf_counter()
        tokens = complete_real_responses(arguments.real, arguments.seed)
        print(f"completed {len(tokens)} real responses in {time.perf_counter() - started:.1f} s")

    client = app.test_client()
    urls = [f"/r/{token}/resultats" for token in tokens]
    times = []
    for number in range(arguments.warmup + arguments.requests):
        target = urls[number % len(urls)]
        started = time.perf_counter()
        page = client.get(target)
        elapsed = (time.perf_counter() - started) * 1000
        if page.status_code != 200:
            print(f"GET {target} returned {page.status_code} (see the log above)")
            return 1
        if number >= arguments.warmup:
            times.append(elapsed)
    median = statistics.median(times)
    p95 = percentile(times, 95)
    print(
        f"GET /r/<token>/resultats × {len(times)} ({len(urls)} responses, after "
        f"{arguments.warmup} warm-up requests):"
    )
    print(
        f"  median {median:.1f} ms, p95 {p95:.1f} ms, mean {statistics.fmean(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    print(
        f"  target {TARGET_MS:.0f} ms: median at {median / TARGET_MS:.2f}×, "
        f"p95 at {p95 / TARGET_MS:.2f}× the target"
    )
    if arguments.purge:
        with app.app_context():
            started = time.perf_counter()
            removed = purge_demo()
            print(f"purge_demo(): {removed:,} removed in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
