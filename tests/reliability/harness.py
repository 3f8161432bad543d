"""What the reliability tests (test_load.py, test_crash.py) and their full versions
(bench/reliability.py, bench/submit_throughput.py) share:

- `Server`: gunicorn started as `make serve` and tests/reliability/test_start.py start it
  (`gunicorn --config gunicorn.conf.py`, 4 workers; the master migrates the database before the
  workers start), on a given database, in a process group of its own so that `kill9()` can
  `kill -9` the master and its workers at once;
- `Payloads`: complete API submissions of the four full questionnaires (every question that
  applies answered, scale items drawn at random), as JSON bytes;
- `post_response()`: one POST /api/v1/responses with an Idempotency-Key, on a new connection;
  `Ledger`: every reply every key got;
- `read_database()` and `problems()`: what the database holds, against what was acknowledged —
  each acknowledged response stored exactly once, completed, with its answers and scores, no
  response left in progress, the benchmark histograms equal to the completed responses, and on
  SQLite `PRAGMA integrity_check` and `foreign_key_check`.

No pytest here: bench/ uses it too.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
WORKERS = 4
SECRET_KEY = "reliability-suite-secret-key"
QUESTIONNAIRES = ("citoyen", "entreprise", "association", "elu")
#: Lyon, Paris, Marseille, Bordeaux: four regions (the server loads the whole official map).
TERRITORIES = ("commune:69123", "commune:75056", "commune:13055", "commune:33063")
#: The axes every complete response is scored on.
AXES = 3
STARTUP_SECONDS = 90.0
#: Where the tests write their figures (git ignores tests/.artifacts/).
ARTIFACTS = ROOT / "tests" / ".artifacts" / "reliability"
#: Environment variables of the caller that would change the server under test.
DROPPED_ENVIRONMENT = ("SECRET_KEY", "GUNICORN_CMD_ARGS", "MIN_GROUP_SIZE", "DATABASE_URL",
                       "WORKERS", "HOST", "PORT")


def report(name: str, lines: list[str]) -> None:
    """The figures of a test run, in tests/.artifacts/reliability/<name>.txt."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- the server


class ServerError(RuntimeError):
    """gunicorn did not start, or stopped."""


class Server:
    """gunicorn with `gunicorn.conf.py` on `url`; `overrides` go to `create_app(...)` in the
    application string (INSTANCE_PATH is always given: the instance folder in `directory`)."""

    def __init__(self, url: str, directory: Path, overrides: dict | None = None,
                 workers: int = WORKERS, port: int | None = None,
                 access_log: bool = False) -> None:
        self.url = url
        self.directory = directory
        self.log_path = directory / "gunicorn.log"
        self.port = port or free_port()
        self.workers = workers
        self.access_log = access_log
        self.overrides = {"INSTANCE_PATH": str(directory / "instance"), **(overrides or {})}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def command(self) -> list[str]:
        factory = f"diagnostic:create_app({self.overrides!r})"
        command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]
        if self.access_log:
            command += ["--access-logfile", "-"]
        return [*command, factory]

    def environment(self) -> dict[str, str]:
        environment = {key: value for key, value in os.environ.items()
                       if key not in DROPPED_ENVIRONMENT}
        environment.update(DATABASE_URL=self.url, SECRET_KEY=SECRET_KEY, HOST=HOST,
                           PORT=str(self.port), WORKERS=str(self.workers))
        return environment

    def start(self, timeout: float = STARTUP_SECONDS) -> float:
        """Start gunicorn and wait until every worker is up and the API answers; the seconds."""
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"==== start {self.starts + 1} ====\n")
            log.flush()
            # A session of its own: its process group is the master and its workers.
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.environment(), stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn stopped (status {self.process.returncode}):\n"
                                  + self.log()[-4000:])
            if len(self.worker_pids()) >= self.workers:
                with contextlib.suppress(OSError, http.client.HTTPException):
                    if get(self.port, "/api/v1/questionnaires", timeout=5)[0] == 200:
                        return time.monotonic() - started
            time.sleep(0.2)
        self.stop()
        raise ServerError(f"gunicorn did not answer within {timeout:.0f} s:\n" + self.log()[-4000:])

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            return [int(child) for child in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def kill9(self) -> list[int]:
        """`kill -9` the master and every worker at once (their process group); wait until they
        are gone. Returns the pids killed."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.process = None
        return pids

    def stop(self) -> None:
        """SIGTERM (graceful: workers finish their request), SIGKILL after 30 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_problems(self) -> list[str]:
        """Tracebacks, errors, dead or timed-out workers in gunicorn's log."""
        found = []
        for line in self.log().splitlines():
            if ("Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line
                    or "WORKER TIMEOUT" in line or "exited with code" in line
                    or "Worker failed to boot" in line or "was sent SIG" in line):
                found.append(line)
        return found

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def settle(url: str, seconds: float = 1.0) -> None:
    """After a kill: PostgreSQL ends the sessions of the dead workers on its own, and may still
    be finishing a COMMIT one of them sent just before dying; give it a moment before counting
    (SQLite commits inside the workers: nothing to wait for)."""
    if not url.startswith("sqlite"):
        time.sleep(seconds)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


# --------------------------------------------------------------------------- what is sent


@dataclass(frozen=True)
class Payload:
    questionnaire: str
    territory: str
    #: Answer rows the response stores (one per question that applies, « ne sait pas » included).
    answers: int
    body: bytes


def payloads(count: int = 32, seed: int = 0) -> list[Payload]:
    """`count` complete submissions: the four full questionnaires in turn, four territories,
    every question that applies answered (partnerships: yes, so that every item applies), the
    scale items of the three impacts drawn at random (« ne sait pas » one time in ten)."""
    from questionnaires import applicable_answers, load_catalog
    from tests.answers import full_answers

    catalog = load_catalog()
    rng = random.Random(seed)
    made = []
    for number in range(count):
        questionnaire = catalog.get(QUESTIONNAIRES[number % len(QUESTIONNAIRES)])
        territory = TERRITORIES[(number // len(QUESTIONNAIRES)) % len(TERRITORIES)]
        answers = full_answers(questionnaire, territory)
        for question in questionnaire.questions:
            if question.id in answers and question.type == "scale" and question.axis:
                if question.offers_dont_know and rng.random() < 0.1:
                    answers[question.id] = None
                else:
                    answers[question.id] = rng.choice(question.scale.values).value
        answers = applicable_answers(questionnaire, answers)
        body = {"questionnaire": questionnaire.id, "territory": territory, "answers": answers}
        made.append(Payload(questionnaire.id, territory, len(answers),
                            json.dumps(body).encode("utf-8")))
    return made


def token_of(key: str) -> str:
    """The private token the server derives from an Idempotency-Key (with SECRET_KEY)."""
    from diagnostic.services.responses import token_for

    return token_for(SECRET_KEY, "api", key)


def hash_token(token: str) -> str:
    """What the server keeps of a token (the response's `token_hash`)."""
    from diagnostic.services.responses import hash_token as server_hash

    return server_hash(token)


# --------------------------------------------------------------------------- the client


@dataclass
class Reply:
    #: None: no HTTP answer (refused, reset, closed, timed out).
    status: int | None
    seconds: float
    body: dict | None = None
    retry_after: str | None = None
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


def post_response(port: int, payload: bytes, key: str | None, timeout: float = 60.0) -> Reply:
    """POST /api/v1/responses on a new connection (gunicorn's sync workers close it anyway)."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", "/api/v1/responses", payload, headers)
        answer = connection.getresponse()
        raw = answer.read()
    except (OSError, http.client.HTTPException) as error:
        return Reply(None, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = {"raw": raw[:300].decode("utf-8", "replace")}
    return Reply(answer.status, seconds, body, answer.getheader("Retry-After"))


@dataclass
class KeyRecord:
    key: str
    payload: int
    #: (phase, reply) of every attempt, in order.
    replies: list[tuple[str, Reply]] = field(default_factory=list)

    def acks(self, phase: str | None = None) -> list[Reply]:
        return [reply for when, reply in self.replies
                if reply.acknowledged and (phase is None or when == phase)]

    @property
    def acknowledged(self) -> bool:
        return any(reply.acknowledged for _phase, reply in self.replies)


class Ledger:
    """Every reply of every Idempotency-Key; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: dict[str, KeyRecord] = {}
        self.phase = "load"

    def record(self, key: str, payload: int, reply: Reply) -> None:
        with self.lock:
            record = self.keys.setdefault(key, KeyRecord(key, payload))
            record.replies.append((self.phase, reply))

    def replies(self, phase: str | None = None) -> list[Reply]:
        with self.lock:
            return [reply for record in self.keys.values() for when, reply in record.replies
                    if phase is None or when == phase]

    def statuses(self, phase: str | None = None) -> Counter:
        return Counter("no answer" if reply.status is None else reply.status
                       for reply in self.replies(phase))

    def retried_after_503(self) -> tuple[int, int]:
        """(keys that got a 503, of those acknowledged on a later attempt with the same key)."""
        got = recovered = 0
        with self.lock:
            for record in self.keys.values():
                statuses = [reply.status for _phase, reply in record.replies]
                if 503 in statuses:
                    got += 1
                    last_503 = len(statuses) - 1 - statuses[::-1].index(503)
                    if any(status in (200, 201) for status in statuses[last_503 + 1:]):
                        recovered += 1
        return got, recovered


def submit(ledger: Ledger, port: int, key: str, number: int, payload: Payload,
           timeout: float = 60.0, attempts: int = 8,
           give_up: threading.Event | None = None) -> Reply:
    """Send a submission until it is acknowledged, as a careful client does: the same
    Idempotency-Key again after a 503 (waiting Retry-After) or no answer; give up on any other
    status, after `attempts`, or as soon as `give_up` is set (the server is being killed)."""
    reply = Reply(None, 0.0, error="not sent")
    for _attempt in range(attempts):
        if give_up is not None and give_up.is_set():
            return reply
        reply = post_response(port, payload.body, key, timeout)
        ledger.record(key, number, reply)
        if reply.acknowledged:
            return reply
        if reply.status == 503:
            time.sleep(min(float(reply.retry_after or 1), 5.0))
        elif reply.status is None:
            if give_up is not None and give_up.is_set():
                return reply
            time.sleep(0.5)
        else:
            return reply
    return reply


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --------------------------------------------------------------------------- the scenarios


def burst(ledger: Ledger, port: int, items: list[Payload], clients: int, each: int,
          prefix: str, timeout: float = 60.0) -> float:
    """`clients` threads released together, each sending `each` complete submissions with keys
    of its own; one submission in four is sent twice at once (two connections, the same key: a
    double tap), one in five is sent again once acknowledged (a retry after a lost answer).
    Returns the seconds the burst took."""
    barrier = threading.Barrier(clients)

    def client(number: int) -> None:
        barrier.wait()
        for turn in range(each):
            index = number * each + turn
            key = f"{prefix}-{number:04d}-{turn:04d}-k"
            payload = items[index % len(items)]
            if turn % 4 == 1:
                twin = threading.Thread(target=submit, args=(ledger, port, key, index, payload,
                                                             timeout))
                twin.start()
                submit(ledger, port, key, index, payload, timeout)
                twin.join()
            else:
                submit(ledger, port, key, index, payload, timeout)
            if turn % 5 == 2:
                submit(ledger, port, key, index, payload, timeout)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(number,), name=f"client-{number}")
               for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


class Flow:
    """Clients sending new submissions one after the other until `stop` is set (each waits for
    its reply before the next), for the crash scenario: when `crashed` is set, a request left
    without an answer is not retried (its key stays unacknowledged)."""

    def __init__(self, ledger: Ledger, port: int, items: list[Payload], clients: int,
                 prefix: str, timeout: float = 60.0) -> None:
        self.ledger = ledger
        self.port = port
        self.items = items
        self.prefix = prefix
        self.timeout = timeout
        self.stop = threading.Event()
        self.crashed = threading.Event()
        self.sent = Counter()
        self.threads = [threading.Thread(target=self._client, args=(number,), daemon=True)
                        for number in range(clients)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def acknowledged(self) -> int:
        return sum(1 for reply in self.ledger.replies() if reply.acknowledged)

    def _client(self, number: int) -> None:
        turn = 0
        while not self.stop.is_set():
            key = f"{self.prefix}-{number:04d}-{turn:05d}-k"
            index = number * 7919 + turn
            reply = submit(self.ledger, self.port, key, index, self.items[index % len(self.items)],
                           self.timeout, give_up=self.crashed)
            turn += 1
            if self.crashed.is_set() and not reply.acknowledged:
                return

    def join(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def retry_unacknowledged(ledger: Ledger, port: int, items: list[Payload], threads: int = 8,
                         timeout: float = 60.0) -> None:
    """Send again, with the same Idempotency-Key, every submission never acknowledged."""
    pending = [record for record in ledger.keys.values() if not record.acknowledged]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                record = pending.pop()
            submit(ledger, port, record.key, record.payload,
                   items[record.payload % len(items)], timeout)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()


# --------------------------------------------------------------------------- what is stored


@dataclass
class Row:
    public_id: str
    status: str
    questionnaire: str
    answers: int
    scores: int


@dataclass
class Stored:
    #: token hash → the response.
    rows: dict[str, Row]
    #: public id → how many rows carry it.
    public_ids: Counter
    in_progress: int
    #: Differences between the benchmark histograms and the completed responses.
    histogram_problems: list[str]
    #: SQLite: PRAGMA integrity_check and foreign_key_check (None on PostgreSQL).
    integrity: str | None = None


def engine_url(url: str) -> str:
    from diagnostic.config import database_url

    return database_url(url, "")


def read_database(url: str) -> Stored:
    """Every response with its answer and score rows, and the histograms checked against them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as connection:
            rows = {}
            public_ids: Counter = Counter()
            in_progress = 0
            for token_hash, public_id, status, questionnaire, answers, scores in connection.execute(
                text("""
                    SELECT r.token_hash, r.public_id, r.status, r.questionnaire_id,
                           (SELECT count(*) FROM answer a WHERE a.response_id = r.id),
                           (SELECT count(*) FROM response_score s WHERE s.response_id = r.id)
                    FROM response r""")):
                rows[token_hash] = Row(public_id, status, questionnaire, answers, scores)
                public_ids[public_id] += 1
                in_progress += status != "completed"
            histogram_problems = histograms(connection)
    finally:
        engine.dispose()
    integrity = sqlite_integrity(url) if url.startswith("sqlite") else None
    return Stored(rows, public_ids, in_progress, histogram_problems, integrity)


def histograms(connection) -> list[str]:
    """The benchmark groups and score distributions, kept up to date on each completion in the
    same transaction, must equal what the completed responses give."""
    from sqlalchemy import text

    groups = Counter()
    scores = Counter()
    for questionnaire, actor, region, count in connection.execute(text("""
            SELECT questionnaire_id, actor, coalesce(region_code, ''), count(*) FROM response
            WHERE status = 'completed' AND actor IS NOT NULL
            GROUP BY questionnaire_id, actor, coalesce(region_code, '')""")):
        groups[(questionnaire, actor, "")] += count
        if region:
            groups[(questionnaire, actor, region)] += count
    for questionnaire, actor, region, axis, key, count in connection.execute(text("""
            SELECT r.questionnaire_id, r.actor, coalesce(r.region_code, ''), s.axis, s.score_key,
                   count(*)
            FROM response r JOIN response_score s ON s.response_id = r.id
            WHERE r.status = 'completed' AND r.actor IS NOT NULL AND s.score_key IS NOT NULL
            GROUP BY r.questionnaire_id, r.actor, coalesce(r.region_code, ''), s.axis,
                     s.score_key""")):
        scores[(questionnaire, actor, "", axis, key)] += count
        if region:
            scores[(questionnaire, actor, region, axis, key)] += count
    kept_groups = Counter({tuple(row[:3]): row[3] for row in connection.execute(text(
        "SELECT questionnaire_id, actor, region_code, responses FROM benchmark_group"))})
    kept_scores = Counter({tuple(row[:5]): row[5] for row in connection.execute(text(
        "SELECT questionnaire_id, actor, region_code, axis, score_key, count "
        "FROM score_distribution"))})
    found = []
    for name, computed, kept in (("benchmark_group", groups, kept_groups),
                                 ("score_distribution", scores, kept_scores)):
        for group in sorted(set(computed) | set(kept), key=str):
            if computed[group] != kept[group]:
                found.append(f"{name} {group}: {kept[group]} kept, {computed[group]} responses")
    return found


def sqlite_integrity(url: str) -> str:
    path = url.split("///", 1)[1].split("?", 1)[0]
    connection = sqlite3.connect(path)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    text = "; ".join(result)
    if foreign:
        text += f"; foreign_key_check: {len(foreign)} rows, e.g. {foreign[:3]}"
    return text


def problems(ledger: Ledger, stored: Stored, items: list[Payload],
             phase: str | None = None, every_key: bool = False) -> list[str]:
    """What is wrong in the database against the replies: each key acknowledged (during
    `phase`, or ever) stored exactly once under the id and token it was acknowledged with,
    completed, with all its answers and scores; a key never answered twice with 201 nor with
    two ids; no row without a key, none in progress, none without its scores; histograms equal
    to the responses; SQLite intact. `every_key`: every key sent must be stored."""
    found: list[str] = []
    known: set[str] = set()

    def say(text: str) -> None:
        if len(found) < 40:
            found.append(text)

    for record in ledger.keys.values():
        token = token_of(record.key)
        token_hash = hash_token(token)
        known.add(token_hash)
        acks = record.acks()
        created = sum(1 for reply in acks if reply.status == 201)
        if created > 1:
            say(f"{record.key}: {created} replies 201 Created for one key")
        ids = {(reply.body or {}).get("id") for reply in acks}
        tokens = {(reply.body or {}).get("token") for reply in acks}
        if len(ids) > 1:
            say(f"{record.key}: acknowledged with several ids {sorted(map(str, ids))}")
        if tokens and tokens != {token}:
            say(f"{record.key}: acknowledged with tokens {tokens}, expected {token}")
        row = stored.rows.get(token_hash)
        must_be_stored = record.acks(phase) if phase else acks
        if row is None:
            if must_be_stored:
                say(f"{record.key}: acknowledged ({must_be_stored[0].status}) but not stored")
            elif every_key:
                say(f"{record.key}: sent but not stored")
            continue
        expected = items[record.payload % len(items)]
        if ids and row.public_id not in ids:
            say(f"{record.key}: stored as {row.public_id}, acknowledged as {sorted(map(str, ids))}")
        if stored.public_ids[row.public_id] != 1:
            say(f"{record.key}: {stored.public_ids[row.public_id]} rows with id {row.public_id}")
        if row.status != "completed":
            say(f"{record.key}: stored with status {row.status}")
        if row.questionnaire != expected.questionnaire:
            say(f"{record.key}: stored as {row.questionnaire}, sent {expected.questionnaire}")
        if row.answers != expected.answers:
            say(f"{record.key}: {row.answers} answer rows stored, {expected.answers} sent")
        if row.scores != AXES:
            say(f"{record.key}: {row.scores} score rows stored, {AXES} expected")
    strangers = set(stored.rows) - known
    if strangers:
        say(f"{len(strangers)} stored responses match no key sent")
    if stored.in_progress:
        say(f"{stored.in_progress} responses in progress (the API only stores completed ones)")
    partial = [row for row in stored.rows.values()
               if row.status == "completed" and (row.scores != AXES or row.answers == 0)]
    if partial:
        say(f"{len(partial)} completed responses without all their answer or score rows")
    found.extend(stored.histogram_problems[:10])
    if stored.integrity is not None and stored.integrity != "ok":
        say(f"SQLite integrity: {stored.integrity[:500]}")
    return found
