"""Benchmark: the territory explorer's perceived figures among many responses.

    .venv/bin/python bench/explorer.py [--responses 100000] [--database-url URL]

On a fresh database (a temporary SQLite file by default; with a PostgreSQL URL, a new schema of
that database, dropped at the end): migrate and load the whole territory map and reference data,
seed N demo responses, then time, in ms: the count of every region's and department's figures
from scratch (`services.explorer.count_responses`, the three GROUP BY queries and their sums: what
a worker pays at its first explorer page, and after a deletion), the count of the responses
completed since (`--real` responses completed as the respondent pages do, added to the counts:
what a worker pays when responses came, at most every EXPLORER_REFRESH_SECONDS), and GET
/territoires/departement:69, /territoires/region:84 and /api/v1/territories/departement:69/perceived
with the counts cached (the Flask test client, in-process: the time is the server's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results_latency import (  # noqa: E402
    bench_database,
    complete_real_responses,
    machine,
)

PAGES = (
    "/territoires/departement:69",
    "/territoires/region:84",
    "/api/v1/territories/departement:69/perceived",
)


def run(arguments, url: str, directory: Path) -> None:
    from diagnostic import create_app
    from diagnostic.cli import init_db
    from diagnostic.registry import catalog
    from diagnostic.services import explorer
    from diagnostic.services.demo import seed_demo

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": str(directory / "instance")})
    with app.app_context():
        init_db()
        started = time.perf_counter()
        seed_demo(arguments.responses, seed=arguments.seed, batch=arguments.batch)
        print(f"{arguments.responses:,} demo responses seeded in "
              f"{time.perf_counter() - started:.0f} s")
        times = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            explorer.count_responses(catalog())
            times.append((time.perf_counter() - started) * 1000)
        print(f"count from scratch: median {statistics.median(times):.0f} ms, "
              f"min {min(times):.0f}, max {max(times):.0f}")
        times = []
        for round_ in range(arguments.repeat):
            counted = explorer.tally(catalog())
            complete_real_responses(arguments.real, seed=round_)
            started = time.perf_counter()
            added = explorer.tally(catalog(), since=counted)
            explorer.counts_of(added, catalog(), app.config["MIN_GROUP_SIZE"])
            times.append((time.perf_counter() - started) * 1000)
        print(f"count of {arguments.real} responses completed since: median "
              f"{statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f}")
    client = app.test_client()
    for path in PAGES:
        assert client.get(path).status_code == 200, path  # warms the counts and the maps
        times = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        print(f"GET {path}: median {statistics.median(times):.0f} ms, min {min(times):.0f}, "
              f"max {max(times):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--real", type=int, default=50, help="responses completed between counts")
    arguments = parser.parse_args()
    for line in machine():
        print(line)
    with bench_database(arguments.database_url, "bench-explorer-") as (url, folder):
        run(arguments, url, folder)


if __name__ == "__main__":
    main()
