"""Benchmark: drawing the fragility maps (`diagnostic.maps.choropleth`).

    .venv/bin/python bench/maps.py [--repeat 15]

For the region map and the department map, with made-up indices (a tenth of the territories
without data, one territory outlined): the first call of the process (reads and projects the
outlines, then draws), and the median, minimum and maximum of the next `--repeat` calls (the
outlines cached), in ms, with the size of the SVG. Pure rendering: no application, no database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from diagnostic import maps  # noqa: E402

LABELS = maps.MapLabels(
    title="Indice de fragilité par département : moyenne des 16 domaines",
    legend_title="Indice de fragilité (100 = France)",
    no_data="donnée non disponible",
    less_fragile="moins fragile que la France",
    more_fragile="plus fragile que la France",
    paris_caption="Paris et petite couronne",
)


def render(level: str, values: dict[str, float | None], current: str) -> bytes:
    return maps.choropleth(level, values, href=lambda code: f"/territoires/{level}:{code}",
                           labels=LABELS, current=current)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    arguments = parser.parse_args()
    generator = random.Random(2026)
    print(f"{'map':<12} {'first ms':>9} {'median ms':>10} {'min ms':>7} {'max ms':>7} "
          f"{'SVG kB':>7}")
    for level in maps.LEVELS:
        started = time.perf_counter()
        codes = maps.feature_codes(level)
        values = {
            code: None if generator.random() < 0.1 else generator.uniform(65, 140)
            for code in codes
        }
        svg = render(level, values, codes[len(codes) // 2])
        first = (time.perf_counter() - started) * 1000
        times = []
        for _ in range(arguments.repeat):
            started = time.perf_counter()
            svg = render(level, values, codes[len(codes) // 2])
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{level:<12} {first:>9.0f} {statistics.median(times):>10.0f} {min(times):>7.0f} "
            f"{max(times):>7.0f} {len(svg) / 1000:>7.0f}"
        )


if __name__ == "__main__":
    main()
