"""`python -m questionnaires [DIRECTORY]`: check every definition and summarise it."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from .loader import DEFINITIONS_DIR, DefinitionError, load_catalog


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else DEFINITIONS_DIR
    try:
        catalog = load_catalog(directory)
    except DefinitionError as error:
        print(f"{len(error.problems)} problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    for questionnaire in catalog.versions():
        types = Counter(q.type for q in questionnaire.questions)
        axes = Counter(q.axis for q in questionnaire.questions if q.axis)
        reversed_ = Counter(q.axis for q in questionnaire.questions if q.reversed)
        print(
            f"{questionnaire.id} v{questionnaire.version} ({questionnaire.kind}, "
            f"{questionnaire.actor}): {len(questionnaire.sections)} sections, "
            f"{len(questionnaire.questions)} questions, ~{questionnaire.duration_minutes} min"
        )
        print("  types: " + ", ".join(f"{kind} {count}" for kind, count in sorted(types.items())))
        print(
            "  axes:  "
            + ", ".join(
                f"{axis} {count} ({reversed_[axis]} reversed)"
                for axis, count in sorted(axes.items())
            )
        )
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
