"""Rows written with plain SQL on the session's connection, where the ORM costs too much.

A complete submission stores a response, its ~60 answers and 3 scores, and counts it in two
reference groups and up to six histogram bins. Through the ORM's unit of work and upsert
statements built anew for each call, that was ~9 ms of the ~13 ms of CPU a submission cost
(`bench/submit_throughput.py`). Here the text of each statement is written once per database,
table, columns and number of rows; values go through the columns' own bind processors, so a row
reads back exactly as the ORM would have written it; and every statement runs on the session's
connection (`exec_driver_sql`), in its transaction, with SQLAlchemy's error wrapping: a locked
database is still a `DBAPIError` that `database.retrying` retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ..extensions import db

_processors: dict[tuple[str, str], dict[str, Callable | None]] = {}
_statements: dict[tuple, str] = {}


def connection() -> Connection:
    """The session's connection (its transaction begins if none is open)."""
    return db.session.connection()


def _bind_processors(connection_: Connection, table: Table) -> dict[str, Callable | None]:
    key = (connection_.dialect.name, table.name)
    found = _processors.get(key)
    if found is None:
        dialect = connection_.dialect
        found = _processors[key] = {
            column.name: column.type.dialect_impl(dialect).bind_processor(dialect)
            for column in table.columns
        }
    return found


def _placeholder(connection_: Connection) -> str:
    return "?" if connection_.dialect.paramstyle == "qmark" else "%s"


def _parameters(connection_: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence]) -> tuple:
    processors = _bind_processors(connection_, table)
    chain = [processors[name] for name in columns]
    return tuple(
        value if processor is None else processor(value)
        for row in rows for processor, value in zip(chain, row, strict=True)
    )


def insert(table: Table, columns: Sequence[str], rows: Sequence[Sequence], *,
           conflict: tuple[Sequence[str], Mapping[str, str]] | None = None,
           returning: str | None = None):
    """INSERT `rows` (tuples in the order of `columns`) in one statement.

    `conflict`: (key columns, {column: SQL expression}) makes it an upsert, the expression
    written with `{table}` for the stored row and `{new}` for the row offered (e.g.
    `"{table}.count + {new}.count"`), and `least(…)`/`greatest(…)` for the smaller and larger of
    two values on every database. `returning`: a column whose values are given back.
    """
    connection_ = connection()
    dialect = connection_.dialect.name
    key = (dialect, table.name, tuple(columns), len(rows),
           None if conflict is None else (tuple(conflict[0]), tuple(conflict[1].items())),
           returning)
    text = _statements.get(key)
    if text is None:
        mark = _placeholder(connection_)
        row = "(" + ", ".join(mark for _ in columns) + ")"
        text = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES {', '.join(row for _ in rows)}")
        if conflict is not None:
            names, updates = conflict
            least, greatest = ("least", "greatest") if dialect == "postgresql" else ("min", "max")
            assignments = ", ".join(
                f"{column} = " + expression.format(table=table.name, new="excluded")
                .replace("least(", f"{least}(").replace("greatest(", f"{greatest}(")
                for column, expression in updates.items())
            text += f" ON CONFLICT ({', '.join(names)}) DO UPDATE SET {assignments}"
        if returning is not None:
            text += f" RETURNING {returning}"
        _statements[key] = text
    return connection_.exec_driver_sql(text, _parameters(connection_, table, columns, rows))


def insert_json_object(table: Table, owner_column: str, owner_id: int, key_column: str,
                       value_column: str, values: Mapping[str, object]) -> None:
    """Insert one row (owner, key, value) per item of `values` in a single statement: the
    database expands one JSON object into rows (SQLite's `json_each`, PostgreSQL's
    `jsonb_each`), so ~60 answers cost one statement and no per-row parameters."""
    if not values:
        return
    connection_ = connection()
    dialect = connection_.dialect.name
    columns = f"{owner_column}, {key_column}, {value_column}"
    if dialect == "sqlite":
        # Each value is given as the JSON text the column stores: json_each returns it as is.
        serialise = _bind_processors(connection_, table)[value_column]
        document = json.dumps({key: serialise(value) for key, value in values.items()})
        text = f"INSERT INTO {table.name} ({columns}) SELECT ?, key, value FROM json_each(?)"
    elif dialect == "postgresql":
        document = json.dumps(dict(values))
        text = (f"INSERT INTO {table.name} ({columns}) "
                f"SELECT %s, key, value FROM jsonb_each(%s::jsonb)")
    else:  # any other database: one row each
        insert(table, (owner_column, key_column, value_column),
               [(owner_id, key, value) for key, value in values.items()])
        return
    connection_.exec_driver_sql(text, (owner_id, document))


def scalar(text: str, *parameters):
    """The first column of the first row of a query written with `?` placeholders (or None)."""
    connection_ = connection()
    if connection_.dialect.paramstyle != "qmark":
        text = text.replace("?", "%s")
    return connection_.exec_driver_sql(text, parameters).scalar()
