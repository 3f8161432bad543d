"""Reading the reference files: CSV checked row by row, problems named by file, line, column."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class ReferenceFileError(ValueError):
    """A reference file that cannot be loaded; the message names file, line and column."""


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """`(line number, row)` for each row of a UTF-8 CSV file, values stripped.

    Stops with ReferenceFileError at a missing column or a row with the wrong number of cells.
    """
    try:
        stream = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ReferenceFileError(f"{path}: cannot be read ({error.strerror})") from error
    with stream:
        reader = csv.DictReader(stream)
        header = tuple(reader.fieldnames or ())
        missing = [column for column in required if column not in header]
        if missing:
            raise ReferenceFileError(
                f"{path}: line 1: missing column(s) {', '.join(missing)} "
                f"(needed: {', '.join(required)})"
            )
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise ReferenceFileError(
                    f"{path}: line {reader.line_num}: expected {len(header)} columns"
                )
            yield reader.line_num, {key: value.strip() for key, value in row.items()}


def fail(path: Path, line: int, column: str, problem: str) -> ReferenceFileError:
    return ReferenceFileError(f"{path}: line {line}, column {column}: {problem}")
