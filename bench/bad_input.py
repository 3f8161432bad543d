"""The full version of the bad-input property tests: 1,000 generated cases per endpoint.

    .venv/bin/python bench/bad_input.py [--database-url postgresql://postgres@127.0.0.1:5432/test]

`make test` runs `tests/web/test_bad_input_properties.py` with ~120 cases per test (hypothesis
profile `quick`); this runs the same tests with the profile `full` (1,000 cases each, see
tests/conftest.py) on SQLite, and on PostgreSQL too with `--database-url`, and prints, per test,
the cases hypothesis ran and passed (from `--hypothesis-show-statistics`), the time, and the
outcome. Exit status 1 if any test failed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = "tests/web/test_bad_input_properties.py"
STATISTICS = re.compile(
    r"^(?P<test>tests/\S+::[^\s\[]+)(?:\[(?P<backend>[a-z]+)-?(?P<case>[^\]]*)\])?:\s*$\n"
    r"(?:.*\n)*?\s+- during generate phase \((?P<seconds>[\d.]+) seconds\):\n"
    r"\s+- Typical runtimes: .*\n"
    r"\s+- (?P<passing>\d+) passing, (?P<failing>\d+) failing, and (?P<invalid>\d+) invalid",
    re.MULTILINE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="also on this PostgreSQL database (own schema)")
    arguments = parser.parse_args()
    environment = {**os.environ, "HYPOTHESIS_PROFILE": "full"}
    environment.pop("TEST_DATABASE_URL", None)
    if arguments.database_url:
        environment["TEST_DATABASE_URL"] = arguments.database_url
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--hypothesis-show-statistics", TESTS],
        cwd=ROOT, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    output = run.stdout + run.stderr
    rows = [match.groupdict() for match in STATISTICS.finditer(output)]
    databases = "SQLite and PostgreSQL" if arguments.database_url else "SQLite"
    print(f"{TESTS}, hypothesis profile full, {databases}")
    print("| test | database | passing cases | failing | invalid (filtered) | generate s |")
    print("|---|---|---:|---:|---:|---:|")
    for row in rows:
        name = row["test"].split("::", 1)[1] + (f" `{row['case']}`" if row["case"] else "")
        print(f"| {name} | {row['backend'] or '-'} | {int(row['passing']):,} | {row['failing']} "
              f"| {row['invalid']} | {float(row['seconds']):.1f} |")
    summary = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(f"pytest: {summary[-1] if summary else '(no summary)'}; {seconds:.0f} s in all")
    if run.returncode != 0:
        print(output[-6000:])
    return 0 if run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
