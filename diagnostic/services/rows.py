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
from dataclasses import dataclass

from sqlalchemy import Table
from sqlalchemy.engine import Connection

from ..extensions import db

_processors: dict[tuple[str, str], dict[str, Callable | None]] = {}
#: Stands for the id of the row inserted first, until it is known (`insert_together`).
_OWNER = object()
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
        value if processor is None or value is _OWNER else processor(value)
        for row in rows for processor, value in zip(chain, row, strict=True)
    )


@dataclass(frozen=True)
class Insert:
    """An INSERT of `rows` (tuples in the order of `columns`) in one statement.

    `conflict`: (key columns, {column: SQL expression}) makes it an upsert, the expression
    written with `{table}` for the stored row and `{new}` for the row offered (e.g.
    `"{table}.count + {new}.count"`), and `least(…)`/`greatest(…)` for the smaller and larger of
    two values on every database. `returning`: a column whose values are given back. `owner`:
    a first column, not in `columns` nor in the rows, that takes the id of the row inserted
    before it (`insert_together`).
    """

    table: Table
    columns: tuple[str, ...]
    rows: Sequence[Sequence]
    conflict: tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | None = None
    returning: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class JsonObjectRows:
    """One row (owner, key, value) per item of `values`, in one statement whatever their number:
    the database expands one JSON object into rows (SQLite's `json_each`, PostgreSQL's
    `jsonb_each`), so ~60 answers cost no per-row parameters. `owner` takes the id of the row
    inserted before (`insert_together`)."""

    table: Table
    owner: str
    key_column: str
    value_column: str
    values: Mapping[str, object]


def upsert(table: Table, columns: Sequence[str], rows: Sequence[Sequence],
           key: Sequence[str], updates: Mapping[str, str]) -> Insert:
    return Insert(table, tuple(columns), rows, (tuple(key), tuple(updates.items())))


def _insert_text(connection_: Connection, statement: Insert, owner_id: str | None = None) -> str:
    """The SQL of `statement`; `owner_id` the SQL giving its owner's id (else a parameter)."""
    dialect = connection_.dialect.name
    key = (dialect, statement.table.name, statement.columns, len(statement.rows),
           statement.conflict, statement.returning, statement.owner, owner_id)
    text = _statements.get(key)
    if text is None:
        mark = _placeholder(connection_)
        columns = list(statement.columns)
        marks = [mark] * len(columns)
        if statement.owner is not None:
            columns.insert(0, statement.owner)
            marks.insert(0, owner_id or mark)
        row = "(" + ", ".join(marks) + ")"
        text = (f"INSERT INTO {statement.table.name} ({', '.join(columns)}) "
                f"VALUES {', '.join(row for _ in statement.rows)}")
        if statement.conflict is not None:
            names, updates = statement.conflict
            least, greatest = ("least", "greatest") if dialect == "postgresql" else ("min", "max")
            assignments = ", ".join(
                f"{column} = " + expression.format(table=statement.table.name, new="excluded")
                .replace("least(", f"{least}(").replace("greatest(", f"{greatest}(")
                for column, expression in updates)
            text += f" ON CONFLICT ({', '.join(names)}) DO UPDATE SET {assignments}"
        if statement.returning is not None:
            text += f" RETURNING {statement.returning}"
        _statements[key] = text
    return text


def _insert_parameters(connection_: Connection, statement: Insert,
                       owner_id: int | None = None) -> tuple:
    rows = statement.rows
    columns = statement.columns
    if statement.owner is not None and owner_id is not None:
        rows = [(owner_id, *row) for row in rows]
        columns = (statement.owner, *columns)
    return _parameters(connection_, statement.table, columns, rows)


def execute(statement: Insert, owner_id: int | None = None):
    """Run one INSERT (`owner_id`: the value of its `owner` column)."""
    connection_ = connection()
    return connection_.exec_driver_sql(_insert_text(connection_, statement),
                                       _insert_parameters(connection_, statement, owner_id))


def insert(table: Table, columns: Sequence[str], rows: Sequence[Sequence], *,
           conflict: tuple[Sequence[str], Mapping[str, str]] | None = None,
           returning: str | None = None):
    """INSERT `rows` in one statement (see `Insert`)."""
    return execute(Insert(
        table, tuple(columns), rows,
        None if conflict is None else (tuple(conflict[0]), tuple(conflict[1].items())),
        returning))


def _json_document(connection_: Connection, rows: JsonObjectRows) -> str:
    if connection_.dialect.name == "sqlite":
        # Each value is given as the JSON text the column stores: json_each returns it as is.
        serialise = _bind_processors(connection_, rows.table)[rows.value_column]
        return json.dumps({key: serialise(value) for key, value in rows.values.items()})
    return json.dumps(dict(rows.values))


def _json_select(connection_: Connection, rows: JsonObjectRows, owner_id: str) -> str:
    columns = f"{rows.owner}, {rows.key_column}, {rows.value_column}"
    if connection_.dialect.name == "sqlite":
        return f"INSERT INTO {rows.table.name} ({columns}) SELECT ?, key, value FROM json_each(?)"
    return (f"INSERT INTO {rows.table.name} ({columns}) "
            f"SELECT {owner_id}, key, value FROM jsonb_each(%s::jsonb)")


def insert_json_object(rows: JsonObjectRows, owner_id: int) -> None:
    """Insert the rows of `rows` for the owner `owner_id`."""
    if not rows.values:
        return
    connection_ = connection()
    if connection_.dialect.name not in ("sqlite", "postgresql"):  # one parameter set per row
        execute(Insert(rows.table, (rows.key_column, rows.value_column),
                       list(rows.values.items()), owner=rows.owner), owner_id)
        return
    connection_.exec_driver_sql(_json_select(connection_, rows, "%s"),
                                (owner_id, _json_document(connection_, rows)))


def insert_together(first: Insert, then: Sequence[Insert | JsonObjectRows]) -> int:
    """INSERT `first` (one row, `returning` its id), then each of `then`, whose `owner` column
    gets that id; returns the id. On PostgreSQL, all of it is one statement (data-modifying
    WITH queries): one round trip instead of one per table. Elsewhere, one statement each."""
    connection_ = connection()
    if connection_.dialect.name == "sqlite":
        # Everything is prepared before the first INSERT takes SQLite's write lock, which every
        # other writer then waits for until the commit: the statements follow each other.
        later = []
        for statement in then:
            if isinstance(statement, JsonObjectRows):
                if statement.values:
                    later.append((_json_select(connection_, statement, "?"),
                                  (_OWNER, _json_document(connection_, statement))))
            else:
                later.append((_insert_text(connection_, statement),
                              _insert_parameters(connection_, statement, _OWNER)))
        owner_id = connection_.exec_driver_sql(
            _insert_text(connection_, first), _insert_parameters(connection_, first)).scalar_one()
        for text, parameters in later:
            connection_.exec_driver_sql(
                text, tuple(owner_id if value is _OWNER else value for value in parameters))
        return owner_id
    if connection_.dialect.name != "postgresql":
        owner_id = execute(first).scalar_one()
        for statement in then:
            if isinstance(statement, JsonObjectRows):
                insert_json_object(statement, owner_id)
            else:
                execute(statement, owner_id)
        return owner_id
    parent = "(SELECT id FROM inserted_0)"
    parts, parameters = [], []
    for statement in (first, *then):
        if isinstance(statement, JsonObjectRows):
            if not statement.values:
                continue
            parts.append(_json_select(connection_, statement, parent))
            parameters.append(_json_document(connection_, statement))
        else:
            parts.append(_insert_text(connection_, statement,
                                      parent if statement.owner is not None else None))
            parameters.extend(_insert_parameters(connection_, statement))
    text = ("WITH " + ", ".join(f"inserted_{number} AS ({part})"
                                for number, part in enumerate(parts))
            + f" SELECT {first.returning} FROM inserted_0")
    return connection_.exec_driver_sql(text, tuple(parameters)).scalar_one()


def scalar(text: str, *parameters):
    """The first column of the first row of a query written with `?` placeholders (or None)."""
    connection_ = connection()
    if connection_.dialect.paramstyle != "qmark":
        text = text.replace("?", "%s")
    return connection_.exec_driver_sql(text, parameters).scalar()
