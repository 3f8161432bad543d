"""Benchmark: a campaign's dashboard aggregates with N responses, against a plain numpy pass.

    .venv/bin/python bench/dashboard.py [--responses 1000000] [--database-url URL]

On a fresh database (a temporary SQLite file by default; with a PostgreSQL URL, a new schema of
that database, dropped at the end): migrate and load the territories and reference data, create an
organiser and a campaign of a region with the four actor types, seed N demo responses into it
(`seed_demo(..., campaign_id=...)`, which adds them to the campaign's running counts), then time
`campaigns.summary(campaign, filters, catalog, 5)` — what the dashboard, the report and the API
show — for the whole campaign, one department and one commune:

- cold: the first call in a new process (a fresh `create_app`, nothing cached but the operating
  system's file cache);
- warm: the median of repeated calls in this process, the campaign unchanged (they read the
  campaign's revision and find the groups in the worker's cache);
- recomputed: the same with the cache emptied before each call (every query run again);

and compare with the lower bound: the same figures (rated count, mean rating and priority share
of every domain per actor type, `scoring.aggregates.perceived_from_matrix`, and the quartiles of
the three impact scores per actor type, `np.percentile`) computed by numpy over a dense matrix of
the same answers, loaded from the database beforehand (the loading is not timed). Prints the peak
memory too. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from results_latency import bench_database, machine, percentile  # noqa: E402

TARGET_COLD_MS = 1000.0
TARGET_WARM_MS = 50.0
ACTORS = ("citoyen", "entreprise", "association", "elu")
MIN_SIZE = 5


def maxrss_mib() -> float:
    """Peak resident memory of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def high_water_mib() -> float:
    """Peak resident memory since the process started its program: Linux keeps ru_maxrss
    across exec (a child started by a big process inherits its figure), not VmHWM."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_mib()


def make_app(url: str, directory: Path):
    from diagnostic import create_app

    return create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": str(directory / "instance")}
    )


def filters_for(spec: str):
    """Filters() for "", else Filters(territory=<the territory of key `spec`>)."""
    from diagnostic.services import campaigns
    from diagnostic.services.territories import get_territory

    if not spec:
        return campaigns.Filters()
    if spec.startswith("actor:"):
        return campaigns.Filters(actor=spec.removeprefix("actor:"))
    territory = get_territory(spec)
    if territory is None:
        raise SystemExit(f"unknown territory {spec}")
    return campaigns.Filters(territory=territory)


# --------------------------------------------------------------------------- in a new process


def queries(campaign, filters) -> None:
    """The database part of `campaigns.summary`: the counts and histograms it reads."""
    from diagnostic.services import campaigns
    from diagnostic.services.territories import get_territory

    if filters.territory is None or not hasattr(campaigns, "protected_groups"):
        campaigns.groups_for(campaign, filters)
        return
    # A sub-territory: its participation, then its groups protected against differencing.
    campaigns.groups_for(campaign, filters, participation_only=True)
    scope = get_territory(campaign.territory)
    campaigns.protected_groups(campaign, scope, filters, MIN_SIZE)


def summary_child(url: str, directory: str, campaign_id: int, spec: str, repeat: int) -> None:
    """In a new process, as a web worker would: create the app, time the first summary call
    (cold), then `repeat` more (warm) and the queries alone; print the figures as JSON."""
    started = time.perf_counter()
    app = make_app(url, Path(directory))
    created = time.perf_counter() - started
    from diagnostic.extensions import db
    from diagnostic.models import Campaign
    from diagnostic.registry import catalog
    from diagnostic.services import campaigns

    with app.app_context():
        catalog_ = catalog()
        campaign = db.session.get(Campaign, campaign_id)
        filters = filters_for(spec)
        started = time.perf_counter()
        summary = campaigns.summary(campaign, filters, catalog_, MIN_SIZE)
        first = time.perf_counter() - started
        warm = timed(lambda: campaigns.summary(campaign, filters, catalog_, MIN_SIZE), repeat)

        def recompute():
            app.extensions.get("campaign_groups", {}).clear()
            campaigns.summary(campaign, filters, catalog_, MIN_SIZE)

        recomputed = timed(recompute, repeat)
        database = timed(lambda: queries(campaign, filters), repeat)
        tracemalloc.start()
        campaigns.summary(campaign, filters, catalog_, MIN_SIZE)
        traced = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()
    print(
        json.dumps(
            {
                "create_app_s": created,
                "cold_ms": first * 1000,
                "warm_ms": warm,
                "recomputed_ms": recomputed,
                "queries_ms": database,
                "traced_mib": traced,
                "total": summary.total,
                "rss_mib": high_water_mib(),
            }
        )
    )


def in_new_process(url: str, directory: Path, campaign_id: int, spec: str, repeat: int) -> dict:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            url,
            str(directory),
            str(campaign_id),
            spec,
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"the summary process failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the lower bound


class Matrix:
    """The campaign's answers as dense arrays: what a numpy pass over them needs."""

    def __init__(self, campaign_id: int, questionnaires: list, domains: list[str]) -> None:
        import numpy as np
        from sqlalchemy import select

        from diagnostic.extensions import db
        from diagnostic.models import Response
        from scoring import AXES

        self.domains = domains
        rows = db.session.execute(
            select(Response.id, Response.actor, Response.territory)
            .where(Response.campaign_id == campaign_id, Response.status == "completed")
            .order_by(Response.id)
        ).all()
        self.ids = np.array([row[0] for row in rows], dtype=np.int64)
        self.actors = np.array([ACTORS.index(row[1]) for row in rows], dtype=np.int64)
        self.communes = np.array([(row[2] or ":").split(":", 1)[1] for row in rows], dtype=object)
        n = self.ids.size
        self.ratings = np.full((n, len(domains)), np.nan)
        self.priorities = np.zeros((n, len(domains)), dtype=bool)
        self.answered = np.zeros(n, dtype=bool)
        self.scores = np.full((n, len(AXES)), np.nan)
        # question id → (column, stored value → rating, NaN for « ne sait pas »)
        rated: dict[str, tuple[int, dict]] = {}
        for questionnaire in questionnaires:
            for question in questionnaire.questions:
                if question.type == "scale" and question.domain and not question.axis:
                    column = domains.index(question.domain)
                    if rated.setdefault(question.id, (column, {}))[0] != column:
                        raise SystemExit(f"{question.id} rates two domains")
                    values = rated[question.id][1]
                    for item in question.scale.values:
                        values[item.value] = item.score / 10.0
                        values[json.dumps(item.value)] = item.score / 10.0
                    values[None] = values["null"] = np.nan
        connection = db.session.connection()
        sqlite = connection.dialect.name == "sqlite"
        marker = "?" if sqlite else "%s"
        cursor = connection.connection.driver_connection.cursor()
        try:
            names = list(rated)
            cursor.execute(
                "SELECT a.response_id, a.question_id, a.value FROM answer a "
                "JOIN response r ON r.id = a.response_id "
                f"WHERE r.campaign_id = {marker} AND r.status = 'completed' "
                f"AND a.question_id IN ({', '.join([marker] * (len(names) + 1))})",
                (campaign_id, *names, "priorites"),
            )
            while chunk := cursor.fetchmany(500_000):
                positions = np.searchsorted(self.ids, np.array([row[0] for row in chunk]))
                for position, (_id, question_id, value) in zip(
                    positions.tolist(), chunk, strict=True
                ):
                    if question_id == "priorites":
                        self.answered[position] = True
                        chosen = json.loads(value) if isinstance(value, str) else value
                        for domain in chosen or ():
                            self.priorities[position, domains.index(domain)] = True
                    else:
                        column, values = rated[question_id]
                        self.ratings[position, column] = values[value]
            cursor.execute(
                "SELECT s.response_id, s.axis, s.score FROM response_score s "
                "JOIN response r ON r.id = s.response_id "
                f"WHERE r.campaign_id = {marker} AND r.status = 'completed'",
                (campaign_id,),
            )
            axes = {axis: index for index, axis in enumerate(AXES)}
            while chunk := cursor.fetchmany(500_000):
                positions = np.searchsorted(self.ids, np.array([row[0] for row in chunk]))
                columns = np.array([axes[row[1]] for row in chunk])
                values = np.array([np.nan if row[2] is None else row[2] for row in chunk])
                self.scores[positions, columns] = values
        finally:
            cursor.close()

    @property
    def nbytes(self) -> int:
        return sum(
            array.nbytes
            for array in (self.actors, self.ratings, self.priorities, self.answered, self.scores)
        )

    def select(self, communes: dict[str, set[str]] | None):
        """The rows of the given communes of each actor type (all rows for None), as a boolean
        mask."""
        import numpy as np

        if communes is None:
            return None
        mask = np.zeros(self.ids.size, dtype=bool)
        for index, actor in enumerate(ACTORS):
            chosen = list(communes.get(actor, ()))
            mask |= (self.actors == index) & np.isin(self.communes, chosen)
        return mask

    def numpy_pass(self, mask=None):
        """The dashboard's perceived fragility and impact quartiles, by numpy from the matrix."""
        import numpy as np

        from scoring import AXES
        from scoring.aggregates import perceived_from_matrix

        actors, ratings, priorities, answered, scores = (
            self.actors,
            self.ratings,
            self.priorities,
            self.answered,
            self.scores,
        )
        if mask is not None:
            actors, ratings, priorities = actors[mask], ratings[mask], priorities[mask]
            answered, scores = answered[mask], scores[mask]
        perceived = perceived_from_matrix(actors, ratings, priorities, answered, ACTORS)
        quartiles = {}
        for index, actor in enumerate(ACTORS):
            mine = scores[actors == index]
            for column, axis in enumerate(AXES):
                values = mine[:, column]
                values = values[~np.isnan(values)]
                quartiles[actor, axis] = (
                    np.percentile(values, [25, 50, 75]) if values.size else None
                )
        return perceived, quartiles


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def compare(summary, perceived, quartiles) -> tuple[float, float, float]:
    """Largest differences between the summary and the numpy pass: mean rating, priority share,
    quartiles (the summary's come from histograms in tenths of a point, rounded to 0.1)."""
    from scoring import AXES

    mean_gap = share_gap = quartile_gap = 0.0
    for position, row in enumerate(summary.domains):
        for actor, cell in row.groups.items():
            figures = perceived[actor]
            if cell.mean.shown:
                mean_gap = max(mean_gap, abs(cell.mean.value - figures["mean"][position]))
            if cell.priority.shown:
                share_gap = max(share_gap, abs(cell.priority.value - figures["priority"][position]))
    for actor, profiles in summary.profiles.items():
        for axis in AXES:
            profile, reference = profiles[axis], quartiles[actor, axis]
            if profile.suppressed or profile.median is None or reference is None:
                continue
            found = (profile.q1, profile.median, profile.q3)
            quartile_gap = max(
                quartile_gap, *(abs(a - b) for a, b in zip(found, reference, strict=True))
            )
    return mean_gap, share_gap, quartile_gap


NUMPY_REPEAT = 10
#: Not in the schema: statistics for the query planner (`ANALYZE`), which no deployment runs.
EXPERIMENTS = (("statistics for the query planner", ("ANALYZE",)),)


def measure(app, url, directory, campaign_id, cases, matrix, masks, numpy_times, repeat):
    """Time the summary of each case in a new process, cold and warm, print it against the numpy
    pass, and check its figures against the numpy pass's."""
    from diagnostic.extensions import db
    from diagnostic.models import Campaign
    from diagnostic.registry import catalog
    from diagnostic.services import campaigns

    results = []
    for label, spec, _communes in cases:
        result = in_new_process(url, directory, campaign_id, spec, repeat)
        results.append({"label": label, **result, "numpy_ms": numpy_times[label]})
    with app.app_context():
        catalog_ = catalog()
        campaign = db.session.get(Campaign, campaign_id)
        for result, (_label, spec, _communes) in zip(results, cases, strict=True):
            summary = campaigns.summary(campaign, filters_for(spec), catalog_, MIN_SIZE)
            perceived, quartiles = matrix.numpy_pass(masks[result["label"]])
            result["gaps"] = compare(summary, perceived, quartiles)

    print()
    print(
        f"campaigns.summary(campaign, filters, catalog, {MIN_SIZE}) in a new process — cold: its "
        f"first call; warm: median of {repeat} more, the campaign unchanged (the worker's cache "
        f"of the groups); recomputed: median of {repeat} calls with that cache emptied first "
        f"(queries: the database part alone); numpy: median of {NUMPY_REPEAT} numpy passes over "
        "the same answers (the lower bound)"
    )
    print(
        f"{'filter':<18} {'responses':>10} {'cold ms':>9} {'warm ms':>9} {'p95 ms':>8} "
        f"{'recomp. ms':>10} {'queries ms':>10} {'numpy ms':>9} {'cold/np':>8} {'warm/np':>8} "
        f"{'recomp/np':>9} {'traced MiB':>10} {'RSS MiB':>8}"
    )
    for result in results:
        numpy_ms = statistics.median(result["numpy_ms"])
        warm_ms = statistics.median(result["warm_ms"])
        recomputed_ms = statistics.median(result["recomputed_ms"])
        cold_ms = result["cold_ms"]
        print(
            f"{result['label']:<18} {result['total']:>10,} {cold_ms:>9.1f} {warm_ms:>9.1f} "
            f"{percentile(result['warm_ms'], 95):>8.1f} {recomputed_ms:>10.1f} "
            f"{statistics.median(result['queries_ms']):>10.1f} "
            f"{numpy_ms:>9.1f} {cold_ms / numpy_ms:>7.1f}× {warm_ms / numpy_ms:>7.1f}× "
            f"{recomputed_ms / numpy_ms:>8.1f}× "
            f"{result['traced_mib']:>10.1f} {result['rss_mib']:>8.0f}"
        )
    for result in results:
        mean_gap, share_gap, quartile_gap = result["gaps"]
        cold_ms = result["cold_ms"]
        warm_ms = statistics.median(result["warm_ms"])
        print(
            f"  {result['label']}: cold {cold_ms / TARGET_COLD_MS:.2f}× the 1 s target, warm "
            f"{warm_ms / TARGET_WARM_MS:.2f}× the 50 ms target (create_app "
            f"{result['create_app_s']:.1f} s); summary vs numpy: mean rating ±{mean_gap:.2g}, "
            f"priority share ±{share_gap:.2g}, quartiles ±{quartile_gap:.2g}"
        )


# --------------------------------------------------------------------------- the run


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _flag, url, directory, campaign_id, spec, repeat = sys.argv[1:7]
        summary_child(url, directory, int(campaign_id), spec, int(repeat))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: a temporary SQLite file); PostgreSQL: the benchmark works "
        "in a new schema it drops",
    )
    parser.add_argument("--batch", type=int, default=20_000, help="responses per batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--region", default="84", help="the campaign's region (default 84)")
    parser.add_argument("--department", default="69", help="department filter (default 69)")
    parser.add_argument("--commune", default="69123", help="commune filter (default 69123)")
    parser.add_argument("--repeat", type=int, default=50, help="warm calls (default 50)")
    parser.add_argument(
        "--index-experiment",
        action="store_true",
        help="then measure again after ANALYZE",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    for line in machine():
        print(line)
    with bench_database(arguments.database_url, "bench-dashboard-",
                        arguments.keep) as (url, folder):
        return run(arguments, url, folder)


def run(arguments, url: str, directory: Path) -> int:
    from sqlalchemy import func, select, text

    from diagnostic.cli import init_db
    from diagnostic.extensions import db
    from diagnostic.models import Campaign, CampaignScore, CampaignStat, Territory
    from diagnostic.registry import catalog
    from diagnostic.services import accounts, campaigns, demo
    from diagnostic.services.territories import get_territory

    app = make_app(url, directory)
    with app.app_context():
        started = time.perf_counter()
        init_db()
        print(
            f"init-db (schema, territories, reference data): {time.perf_counter() - started:.1f} s"
        )
        version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        print(f"database: {db.engine.dialect.name} {version}")
        owner = accounts.create_user("bench@example.org", "bench-password-0", name="Bench")
        region = get_territory(f"region:{arguments.region}")
        campaign = campaigns.create_campaign(
            owner, "Bench", region, {actor: actor for actor in ACTORS}
        )
        campaign_id = campaign.id

        # Time the parts of the load: the batches, the campaign's counts, the reference groups.
        parts = {"counts": 0.0, "histograms": 0.0}

        def timing(name, function):
            def wrapper(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return function(*args, **kwargs)
                finally:
                    parts[name] += time.perf_counter() - started

            return wrapper

        demo._save_counts = timing("counts", demo._save_counts)
        demo.rebuild_distributions = timing("histograms", demo.rebuild_distributions)
        adding = timing("adding", demo._CampaignCounts.add)
        parts["adding"] = 0.0
        demo._CampaignCounts.add = adding

        n = arguments.responses
        step, done, next_report = max(n // 10, 1), 0, max(n // 10, 1)
        seed_started = time.perf_counter()

        def progress(k: int) -> None:
            nonlocal done, next_report
            done += k
            if done >= next_report or done == n:
                elapsed = time.perf_counter() - seed_started
                print(f"  {done:>10,} responses  {elapsed:7.1f} s  {done / elapsed:9,.0f}/s")
                while next_report <= done:
                    next_report += step

        print(
            f"seed_demo({n:,}, campaign_id={campaign_id}, batch={arguments.batch:,}):", flush=True
        )
        created = demo.seed_demo(
            n,
            seed=arguments.seed,
            progress=progress,
            batch=arguments.batch,
            campaign_id=campaign_id,
        )
        seconds = time.perf_counter() - seed_started
        stats = db.session.scalar(select(func.count()).select_from(CampaignStat))
        scores = db.session.scalar(select(func.count()).select_from(CampaignScore))
        loading = seconds - parts["counts"] - parts["histograms"]
        print(
            f"seeded {created:,} responses in {seconds:.1f} s ({created / seconds:,.0f}/s): "
            f"{loading:.1f} s drawing and writing the responses (of which "
            f"{parts['adding']:.1f} s counting the batches for the campaign), "
            f"{parts['counts']:.1f} s writing the campaign's counts, "
            f"{parts['histograms']:.1f} s rebuilding the reference histograms"
        )
        print(f"campaign counts: {stats:,} campaign_stat rows, {scores:,} campaign_score rows")
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            wal = path.with_name(path.name + "-wal")
            wal_size = wal.stat().st_size if wal.exists() else 0
            started = time.perf_counter()
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
            print(
                f"SQLite file: {path.stat().st_size / 1024**3:.2f} GiB; WAL of "
                f"{wal_size / 1024**2:,.0f} MiB checkpointed in "
                f"{time.perf_counter() - started:.1f} s"
            )
        print(f"peak memory after the load (ru_maxrss): {maxrss_mib():,.0f} MiB", flush=True)

        department = db.session.scalar(
            select(Territory).where(
                Territory.level == "departement", Territory.code == arguments.department
            )
        )
        department_communes = set(
            db.session.scalars(
                select(Territory.code).where(
                    Territory.level == "commune",
                    Territory.departement_code == arguments.department,
                )
            )
        )
        cases = [
            ("whole campaign", "", None),
            (f"department {arguments.department}", department.key, department_communes),
            (f"commune {arguments.commune}", f"commune:{arguments.commune}", {arguments.commune}),
        ]

    matrix = None
    with app.app_context():
        catalog_ = catalog()
        campaign = db.session.get(Campaign, campaign_id)
        started = time.perf_counter()
        matrix = Matrix(
            campaign_id,
            [catalog_.get(link.questionnaire_id) for link in campaign.links],
            list(catalog_.vocabulary.domains),
        )
        print(
            f"answer matrix: {matrix.ids.size:,} responses × {len(matrix.domains)} domains, "
            f"{matrix.nbytes / 1024**2:,.0f} MiB, loaded in {time.perf_counter() - started:.1f} s "
            "(not timed below)"
        )
        # A sub-territory's figures count only the communes the partition lets them show
        # (`campaigns.protected_groups`): the numpy pass reads the same responses.
        actors = [link.actor for link in campaign.links]
        parts = (
            campaigns.partition(campaign, actors, MIN_SIZE)
            if hasattr(campaigns, "partition")
            else None
        )
        masks = {}
        for label, _spec, communes in cases:
            if communes is None:
                masks[label] = None
                continue
            counted = {
                actor: parts.counted(actor, communes) if parts else communes for actor in actors
            }
            masks[label] = matrix.select(counted)
            left = sum(len(communes & set(parts.counts.get(a, ()))) for a in actors) if parts else 0
            kept = sum(len(codes) for codes in counted.values())
            print(
                f"{label}: figures count {int(masks[label].sum()):,} responses "
                f"({kept:,} of {left:,} actor type × commune groups with responses)"
            )
    numpy_times = {}
    for label, _spec, _communes in cases:
        numpy_times[label] = timed(lambda m=masks[label]: matrix.numpy_pass(m), NUMPY_REPEAT)

    repeat = arguments.repeat
    measure(app, url, directory, campaign_id, cases, matrix, masks, numpy_times, repeat)
    for title, statements in EXPERIMENTS if arguments.index_experiment else ():
        with app.app_context():
            started = time.perf_counter()
            for statement in statements:
                db.session.execute(text(statement))
            db.session.commit()
            print()
            print(f"experiment — the same with {title} ({time.perf_counter() - started:.1f} s):")
            for statement in statements:
                print(f"  {statement}")
        measure(app, url, directory, campaign_id, cases, matrix, masks, numpy_times, repeat)
    print(f"peak memory of this process (ru_maxrss): {maxrss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
