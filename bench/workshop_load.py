"""Benchmark: a live workshop under load, served by gunicorn as in production.

    .venv/bin/python bench/workshop_load.py [--participants 500] [--questions 12] [--duration 60]
        [--workers 4] [--database-url URL]

On a fresh database (a temporary SQLite file by default; with a PostgreSQL URL, a new schema of
that database, dropped at the end): migrate and load the territories, create an organiser and an
open workshop (the `atelier` questionnaire by default), then start `gunicorn -w 4` on a free local
port with the same DATABASE_URL, SECRET_KEY and instance folder, and simulate the room over HTTP,
as phones and a projector would:

- N participants, each with their own cookies, join during the first quarter of the window
  (GET /a/<code>, POST the join form with its CSRF token), then answer the question each page asks
  (GET the page, POST an answer valid for it with the page's CSRF token, follow the redirects as a
  browser does) at a pace that ends within the window. The atelier questionnaire has 10
  questions: to send 12 answers, each participant then goes back to 2 of their answers (as with
  the browser's history) and changes them;
- the organiser, logged in, has revealed the results and the projector fetches its live fragment
  2 s after the previous one ended, as the projector page's script does;
- with `--phone-polling`, each phone also fetches the workshop's state every 2 s, as the
  participant pages' script does.

Prints the errors (any HTTP status outside 2xx/3xx, any exception, any page other than the one
expected), the answers stored against those sent (read back from the database once gunicorn is
stopped, values compared), and the p50/p95 latency of the answer submission (the POST) and of the
projector update. Exit status 1 on any error or any answer lost. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from results_latency import bench_database, machine, percentile  # noqa: E402

HOST = "127.0.0.1"
TIMEOUT = 60.0
POLL_SECONDS = 2.0
SECRET_KEY = "bench-workshop-load"
EMAIL = "animation@bench.example"
PASSWORD = "bench-organiser-password"
#: Share of the window during which participants join (scanning the code on the projector).
JOIN_SHARE = 0.25
#: Participants aim to send their last answer by this share of the window.
END_SHARE = 0.95
DONT_KNOW = "nsp"
#: Projector fetches timed after the room is done.
IDLE_FETCHES = 20


class BenchError(Exception):
    """A request that failed: `kind` groups the errors in the report."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind} {detail}".strip())
        self.kind = kind


# --------------------------------------------------------------------------- the HTTP client


class Forms(HTMLParser):
    """The forms of a page and their fields (input, textarea, button), with the
    `data-max-choices` of the fieldset each field is in."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._max_choices: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"action": found.get("action"), "fields": []})
        elif tag == "fieldset":
            self._max_choices = found.get("data-max-choices")
        elif tag in ("input", "textarea", "button") and self.forms:
            found["_tag"] = tag
            found["_max_choices"] = self._max_choices
            self.forms[-1]["fields"].append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset":
            self._max_choices = None

    def csrf(self, index: int = 0) -> str:
        try:
            form = self.forms[index]
        except IndexError:
            raise BenchError("no form on the page") from None
        for item in form["fields"]:
            if item.get("name") == "csrf_token" and item.get("value"):
                return item["value"]
        raise BenchError("no CSRF token in the form")


@dataclass
class Page:
    method: str
    url: str
    status: int
    location: str | None
    body: str
    seconds: float


class Browser:
    """One phone (or the projector's laptop): its own cookies, one connection per request (the
    sync workers of gunicorn close it after each answer), redirects followed as a browser does."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, form: list[tuple[str, str]] | None = None) -> Page:
        headers = {"Accept": "text/html", "Accept-Language": "fr", "User-Agent": "bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        try:
            connection.request(method, url, body, headers)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.stats.count_request(method, url)
            raise BenchError(f"{method} {shape(url)}: {type(error).__name__}", str(error)) from None
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self.stats.count_request(method, url, seconds)
        for header in answer.headers.get_all("Set-Cookie") or ():
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        page = Page(method, url, answer.status, answer.getheader("Location"), text, seconds)
        if not 200 <= answer.status < 400:
            raise BenchError(f"{method} {shape(url)} → {answer.status}")
        return page

    def follow(self, page: Page, limit: int = 5) -> Page:
        """Follow the redirects of `page` (GET after 301/302/303) to the page shown."""
        for _hop in range(limit):
            if page.status not in (301, 302, 303, 307, 308):
                return page
            if not page.location:
                raise BenchError(f"{page.method} {shape(page.url)} → {page.status} no Location")
            target = urljoin(page.url, page.location)
            parts = urlsplit(target)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            page = self.request("GET", path)
        raise BenchError(f"{page.method} {shape(page.url)}: too many redirects")

    def go(self, method: str, url: str, form: list[tuple[str, str]] | None = None) -> Page:
        return self.follow(self.request(method, url, form))


def shape(url: str) -> str:
    """The URL with its codes and tokens replaced, to group errors."""
    url = re.sub(r"^/a/[^/?]+", "/a/<code>", url)
    url = re.sub(r"/p/[^/?]+", "/p/<token>", url)
    url = re.sub(r"/q/[^/?]+", "/q/<id>", url)
    return re.sub(r"^/ateliers/[0-9a-f]{16}", "/ateliers/<id>", url)


# --------------------------------------------------------------------------- what is measured


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    #: The POST of an answer, until its 303.
    submit: list[float] = field(default_factory=list)
    #: The POST of an answer and the redirects to the next page, shown.
    round_trip: list[float] = field(default_factory=list)
    #: POST of the join form and the redirects to the first question.
    join: list[float] = field(default_factory=list)
    projector: list[float] = field(default_factory=list)
    state: list[float] = field(default_factory=list)
    #: (method, URL shape) → the time of every request.
    endpoints: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    last_answer: float = 0.0

    def count_request(self, method: str, url: str, seconds: float | None = None) -> None:
        with self.lock:
            self.requests += 1
            if seconds is not None:
                self.endpoints.setdefault((method, shape(url)), []).append(seconds)

    def error(self, error: BaseException) -> None:
        kind = error.kind if isinstance(error, BenchError) else type(error).__name__
        with self.lock:
            self.errors[kind] += 1
            self.examples.setdefault(kind, str(error))

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            getattr(self, name).append(seconds)


@dataclass
class Participant:
    number: int
    token: str | None = None
    #: Question id → the values posted last (a 303 came back for them).
    answers: dict[str, list[str]] = field(default_factory=dict)
    first: int = 0
    changes: int = 0
    finished: float | None = None


# --------------------------------------------------------------------------- the room


QUESTION = re.compile(r"^/a/(?P<code>[^/]+)/p/(?P<token>[^/]+)/q/(?P<question>[^/?]+)$")
WAITING = re.compile(r"^/a/(?P<code>[^/]+)/p/(?P<token>[^/?]+)$")


def pick(fields: list[dict], rng: random.Random, previous: list[str] | None) -> list[str]:
    """Values for the question's field, a valid answer, different from `previous` if given."""
    kind = fields[0].get("type") or fields[0]["_tag"]
    values = [f["value"] for f in fields if f.get("value") is not None]
    options = [value for value in values if value != DONT_KNOW]
    for _attempt in range(20):
        if kind == "radio":
            if DONT_KNOW in values and rng.random() < 0.05:
                chosen = [DONT_KNOW]
            else:
                chosen = [rng.choice(options)]
        elif kind == "checkbox":
            limit = int(fields[0]["_max_choices"] or 3)
            chosen = rng.sample(options, rng.randint(1, min(limit, len(options))))
        elif kind in ("text", "textarea"):
            chosen = [rng.choice(("Plus de liens entre voisins", "Un tiers-lieu", "Rien"))]
        else:
            raise BenchError(f"unknown field type {kind}")
        if chosen != previous:
            return chosen
    return chosen


def answer_form(page: Page, rng: random.Random, previous: list[str] | None = None):
    """The question id and the form to post, from the question page."""
    found = QUESTION.match(page.url)
    if page.status != 200 or not found:
        raise BenchError(f"not a question page: {shape(page.url)} {page.status}")
    question = found["question"]
    forms = Forms(page.body)
    fields = [f for f in forms.forms[0]["fields"] if f.get("name") == f"item_{question}"]
    if not fields:
        raise BenchError("no field for the question on its page")
    values = pick(fields, rng, previous)
    form = [("csrf_token", forms.csrf())]
    form += [(f"item_{question}", value) for value in values]
    form.append(("action", "next"))
    return question, values, form


class Room:
    def __init__(self, arguments, port: int, code: str, actor_question: str | None,
                 stats: Stats, started: float) -> None:
        self.arguments = arguments
        self.port = port
        self.code = code
        self.actor_question = actor_question
        self.stats = stats
        self.started = started
        self.deadline = started + arguments.duration * END_SHARE
        self.finished = threading.Event()

    def think(self, browser: Browser, steps_left: int, rng: random.Random) -> None:
        """Read the question and choose: the time left shared among the answers left."""
        remaining = self.deadline - time.monotonic()
        pause = max(0.0, remaining / (steps_left + 1) * rng.uniform(0.5, 1.5))
        until = time.monotonic() + pause
        if not self.arguments.phone_polling:
            time.sleep(pause)
            return
        # The page's script asks for the workshop's state every 2 s.
        while (left := until - time.monotonic()) > 0:
            time.sleep(min(POLL_SECONDS, left))
            if until - time.monotonic() > 0:
                page = browser.request("GET", f"/a/{self.code}/etat.json")
                self.stats.add("state", page.seconds)

    def participant(self, person: Participant, start: float) -> Participant:
        rng = random.Random(f"{self.arguments.seed}-{person.number}")
        browser = Browser(self.port, self.stats)
        time.sleep(max(0.0, start - time.monotonic()))
        try:
            self._answer(person, browser, rng)
        except Exception as error:
            self.stats.error(error)
        person.finished = time.monotonic() - self.started
        return person

    def _answer(self, person: Participant, browser: Browser, rng: random.Random) -> None:
        questions = self.arguments.questions
        page = browser.go("GET", f"/a/{self.code}")
        csrf = Forms(page.body).csrf()
        started = time.perf_counter()
        page = browser.go("POST", f"/a/{self.code}", [("csrf_token", csrf)])
        self.stats.add("join", time.perf_counter() - started)
        found = QUESTION.match(page.url) or WAITING.match(page.url)
        if not found:
            raise BenchError(f"join ended on {shape(page.url)}")
        person.token = found["token"]
        sent = 0
        # The questions the workshop asks, in the order it asks them.
        while sent < questions and QUESTION.match(page.url):
            self.think(browser, questions - sent, rng)
            question, values, form = answer_form(page, rng)
            page = self._send(browser, person, page.url, question, values, form)
            person.first += 1
            sent += 1
        if sent < questions and not WAITING.match(page.url):
            raise BenchError(f"after the last question: {shape(page.url)}")
        # Back to earlier answers (not who they are) to change them.
        choices = [q for q in person.answers if q != self.actor_question] or list(person.answers)
        while sent < questions:
            self.think(browser, questions - sent, rng)
            question = rng.choice(choices)
            url = f"/a/{self.code}/p/{person.token}/q/{question}"
            page = browser.go("GET", url)
            if page.url != url:
                raise BenchError(f"going back to a question ended on {shape(page.url)}")
            _question, values, form = answer_form(page, rng, person.answers[question])
            page = self._send(browser, person, url, question, values, form)
            person.changes += 1
            sent += 1
            if not WAITING.match(page.url):
                raise BenchError(f"after changing an answer: {shape(page.url)}")
        if self.arguments.phone_polling:
            # The thanks page stays open, polling, until the end of the window.
            while (left := self.started + self.arguments.duration - time.monotonic()) > 0:
                time.sleep(min(POLL_SECONDS, left))
                page = browser.request("GET", f"/a/{self.code}/etat.json")
                self.stats.add("state", page.seconds)

    def _send(self, browser: Browser, person: Participant, url: str, question: str,
              values: list[str], form: list[tuple[str, str]]) -> Page:
        sent = browser.request("POST", url, form)
        if sent.status != 303:
            raise BenchError(f"POST {shape(url)} → {sent.status} (not 303)")
        person.answers[question] = values
        self.stats.add("submit", sent.seconds)
        with self.stats.lock:
            self.stats.last_answer = max(self.stats.last_answer, time.monotonic() - self.started)
        started = time.perf_counter()
        page = browser.follow(sent)
        self.stats.add("round_trip", sent.seconds + time.perf_counter() - started)
        return page

    def projector(self, browser: Browser, url: str, seen: list[int]) -> None:
        """Fetch the live fragment 2 s after the previous fetch ended, until the room is done;
        then once more."""
        last = False
        while True:
            last = self.finished.wait(POLL_SECONDS)
            try:
                page = browser.request("GET", url)
                found = re.search(r"data-participants>(\d+)<", page.body)
                if page.status != 200 or not found:
                    raise BenchError("projector fragment without its participant count")
                self.stats.add("projector", page.seconds)
                seen.append(int(found[1]))
            except Exception as error:
                self.stats.error(error)
            if last:
                return


# --------------------------------------------------------------------------- set up and run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (status {process.returncode}):\n"
                               + log.read_text(encoding="utf-8", errors="replace")[-3000:])
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/a")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of gunicorn: the master and its live workers."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return float("nan")
    total = 0.0
    for process in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan"), float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle, iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return (total - idle) / tick, total / tick


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def setup(arguments, url: str, instance: Path):
    """Schema, territories, organiser and workshop; returns the app and what the room needs."""
    from sqlalchemy import select

    from diagnostic import create_app
    from diagnostic.cli import init_db
    from diagnostic.extensions import db
    from diagnostic.models import Territory
    from diagnostic.registry import catalog
    from diagnostic.services import accounts, workshops

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY,
                      "INSTANCE_PATH": str(instance)})
    with app.app_context():
        started = time.perf_counter()
        init_db()
        print(f"init-db (schema, territories, reference data): "
              f"{time.perf_counter() - started:.1f} s")
        version = ".".join(map(str, db.engine.dialect.server_version_info or ()))
        print(f"database: {db.engine.dialect.name} {version} "
              f"({db.engine.url.render_as_string(hide_password=True)})")
        questionnaire = catalog().get(arguments.questionnaire)
        if questionnaire is None:
            raise SystemExit(f"unknown questionnaire {arguments.questionnaire}")
        sections = arguments.sections.split(",") if arguments.sections else None
        territory = db.session.scalars(
            select(Territory).where(Territory.level == "commune")
            .order_by(Territory.population.desc().nulls_last()).limit(1)).one()
        owner = accounts.create_user(EMAIL, PASSWORD, name="Bench")
        workshop = workshops.create_workshop(
            owner, "Atelier de charge", territory, questionnaire, sections)
        asked = workshops.questions_of(workshop, questionnaire)
        room = {
            "code": workshop.code,
            "public_id": workshop.public_id,
            "workshop_id": workshop.id,
            "questionnaire": f"{questionnaire.id} v{questionnaire.version}",
            "questions": [q.id for q in asked],
            "actor_question": questionnaire.actor_question,
            "territory_question": (questionnaire.territory_question.id
                                   if questionnaire.territory_question else None),
            "territory": territory.name,
        }
        db.session.remove()
        db.engine.dispose()
    return app, room


def stored(app, room: dict, people: list[Participant]):
    """What the database holds: participants, answer rows, and the values compared with the
    last ones sent."""
    from sqlalchemy import func, select

    from diagnostic.extensions import db
    from diagnostic.models import Answer, Response
    from diagnostic.services import responses

    with app.app_context():
        participants = db.session.scalar(
            select(func.count()).select_from(Response)
            .where(Response.workshop_id == room["workshop_id"]))
        query = (select(func.count()).select_from(Answer)
                 .join(Response, Response.id == Answer.response_id)
                 .where(Response.workshop_id == room["workshop_id"]))
        if room["territory_question"]:
            query = query.where(Answer.question_id != room["territory_question"])
        answers = db.session.scalar(query)
        same = 0
        different: list[str] = []
        for person in people:
            if person.token is None:
                continue
            response = responses.find_response(person.token)
            held = response.answer_map() if response is not None else {}
            for question, values in person.answers.items():
                if question in held and as_posted(held[question]) == values:
                    same += 1
                elif len(different) < 5:
                    different.append(f"{question}: sent {values}, stored "
                                     f"{held.get(question, 'nothing')}")
        db.session.remove()
        db.engine.dispose()
    return participants, answers, same, different


def as_posted(value) -> list[str]:
    """A stored value as the strings a form posts."""
    if value is None:
        return [DONT_KNOW]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def ms(values: list[float]) -> str:
    if not values:
        return "n 0"
    return (f"n {len(values):,}, p50 {percentile(values, 50) * 1000:.0f} ms, "
            f"p95 {percentile(values, 95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--questions", type=int, default=12,
                        help="answers each participant sends (default 12)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="the window, in seconds, in which they join and answer")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a temporary SQLite "
                        "file); PostgreSQL: the benchmark works in a new schema it drops")
    parser.add_argument("--questionnaire", default="atelier",
                        help="the workshop's questionnaire (default atelier)")
    parser.add_argument("--sections", help="sections of a full questionnaire, comma-separated")
    parser.add_argument("--phone-polling", action="store_true",
                        help="phones also poll the workshop's state every 2 s, as their pages do")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    arguments = parser.parse_args()

    for line in machine():
        print(line)
    with bench_database(arguments.database_url, "bench-workshop-", arguments.keep) as (url, folder):
        return run(arguments, url, folder)


def run(arguments, url: str, directory: Path) -> int:
    import gunicorn

    instance = directory / "instance"
    app, room = setup(arguments, url, instance)
    questions = room["questions"]
    changes = max(0, arguments.questions - len(questions))
    print(f"workshop: questionnaire {room['questionnaire']}, {len(questions)} questions "
          f"({', '.join(questions)}), free mode, territory {room['territory']}")
    print(f"load: {arguments.participants} participants join during the first "
          f"{arguments.duration * JOIN_SHARE:.0f} s and send {arguments.questions} answers each "
          f"within {arguments.duration:.0f} s"
          + (f": the {len(questions)} questions, then back to {changes} of them (browser "
             f"history) to change the answer" if changes else "")
          + f"; the projector polls every {POLL_SECONDS:.0f} s"
          + ("; phones poll the workshop's state every 2 s" if arguments.phone_polling else ""))

    port = free_port()
    log_path = directory / "gunicorn.log"
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    factory = f"diagnostic:create_app({{'INSTANCE_PATH': {str(instance)!r}}})"
    command = [sys.executable, "-m", "gunicorn", "-w", str(arguments.workers),
               "-b", f"{HOST}:{port}", "--chdir", str(ROOT), factory]
    print(f"app: gunicorn {gunicorn.__version__}, {arguments.workers} sync workers, "
          f"{HOST}:{port}")
    stats = Stats()
    people = [Participant(number) for number in range(arguments.participants)]
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until_up(process, port, log_path)
        # The facilitator: logged in, results revealed, projector page open.
        organiser = Browser(port, stats)
        page = organiser.go("GET", "/connexion")
        page = organiser.go("POST", "/connexion", [
            ("csrf_token", Forms(page.body).csrf()), ("email", EMAIL), ("password", PASSWORD)])
        panel = f"/ateliers/{room['public_id']}"
        page = organiser.go("GET", panel)
        if page.url != panel:
            raise RuntimeError(f"the organiser could not log in: {page.url}")
        organiser.go("POST", f"{panel}/reveler", [("csrf_token", Forms(page.body).csrf())])
        organiser.go("GET", f"{panel}/projection")

        rng = random.Random(arguments.seed)
        started = time.monotonic() + 0.5
        starts = sorted(rng.uniform(0, arguments.duration * JOIN_SHARE)
                        for _ in range(arguments.participants))
        world = Room(arguments, port, room["code"], room["actor_question"], stats, started)
        seen: list[int] = []
        projector = threading.Thread(
            target=world.projector, args=(organiser, f"{panel}/projection/direct", seen),
            daemon=True)
        requests_before = stats.requests
        load = os.getloadavg()
        server_before = cpu_seconds(process.pid)
        client_before = time.process_time()
        busy_before = machine_busy()
        projector.start()
        # One thread per phone: each waits for its own answers, as a person does.
        with ThreadPoolExecutor(max_workers=arguments.participants) as pool:
            futures = [pool.submit(world.participant, person, started + start)
                       for person, start in zip(people, starts, strict=True)]
            for future in futures:
                future.result()
        ended = time.monotonic() - started
        world.finished.set()
        projector.join()
        requests = stats.requests - requests_before
        server_cpu = cpu_seconds(process.pid) - server_before
        client_cpu = time.process_time() - client_before
        busy_after = machine_busy()
        busy = busy_after[0] - busy_before[0]
        available = busy_after[1] - busy_before[1]
        endpoints = {key: list(times) for key, times in stats.endpoints.items()}
        # The projector alone once the room is full: the server's own time for the fragment.
        idle = [organiser.request("GET", f"{panel}/projection/direct").seconds
                for _ in range(IDLE_FETCHES)]
    finally:
        stop(process)
    log_text = log_path.read_text(encoding="utf-8", errors="replace")

    joined = [person for person in people if person.token]
    first = sum(person.first for person in people)
    changed = sum(person.changes for person in people)
    participants, answers, same, different = stored(app, room, people)
    distinct = sum(len(person.answers) for person in people)
    # On the projector: the participants who answered (said who they are, with the atelier).
    expected_on_screen = len([person for person in joined if person.answers])
    if seen and seen[-1] != expected_on_screen:
        stats.error(BenchError("projector count", f"last showed {seen[-1]}, "
                                                  f"expected {expected_on_screen}"))
    errors = sum(stats.errors.values())
    tracebacks = log_text.count("Traceback (most recent call last)")

    print(f"participants: {len(joined):,} joined, {participants:,} stored")
    print(f"answers sent: {first + changed:,} ({first:,} first answers + {changed:,} changed), "
          f"that is {distinct:,} participant × question answers")
    print(f"answers stored: {answers:,} (vs {distinct:,} sent: "
          f"{'equal' if answers == distinct else 'DIFFERENT'}); stored value = last value sent: "
          f"{same:,}/{distinct:,}")
    for line in different:
        print(f"  {line}")
    print(f"errors: {errors}")
    for kind, count in stats.errors.most_common():
        print(f"  {count:>5} × {kind}: {stats.examples[kind][:300]}")
    print(f"answer submission (POST /a/<code>/p/<token>/q/<id> → 303): {ms(stats.submit)}")
    print(f"answer and next page (POST, redirects, page shown): {ms(stats.round_trip)}")
    print(f"join (POST /a/<code>, redirects, first question shown): {ms(stats.join)}")
    print(f"projector update (GET {shape(panel)}/projection/direct): {ms(stats.projector)}; "
          f"last showed {seen[-1] if seen else '-'} participants (expected {expected_on_screen})")
    print(f"projector update once the room is done, nothing else running: {ms(idle)}")
    if arguments.phone_polling:
        print(f"phone state polls (GET /a/<code>/etat.json): {ms(stats.state)}")
    print(f"duration: last answer at {stats.last_answer:.1f} s, last participant done at "
          f"{ended:.1f} s (window {arguments.duration:.0f} s); {requests:,} requests, "
          f"{requests / max(ended, 1e-9):,.0f}/s")
    print(f"CPU: machine busy {busy:.1f} s of {available:.1f} s ({busy / available:.0%}; "
          f"{os.cpu_count()} cores): gunicorn {server_cpu:.1f} s "
          f"({server_cpu / max(requests, 1) * 1000:.1f} ms a request), this client "
          f"{client_cpu:.1f} s, the rest the database server and other processes; load "
          f"average before the run {load[0]:.2f}")
    print("requests (method, path: n, latency p50 / p95):")
    for (method, path), times in sorted(endpoints.items(), key=lambda kv: kv[0][1]):
        print(f"  {method:4} {path:42} {len(times):>6,}  {percentile(times, 50) * 1000:6.0f} / "
              f"{percentile(times, 95) * 1000:6.0f} ms")
    print(f"gunicorn log: {tracebacks} tracebacks, {len(log_text.splitlines())} lines")
    if tracebacks or errors:
        start = log_text.find("Traceback (most recent call last)")
        excerpt = log_text[max(0, start - 300):start + 4000] if start >= 0 else log_text[-3000:]
        print("---- gunicorn log excerpt ----")
        print(excerpt)
        print("----")
    ok = (errors == 0 and answers == distinct and same == distinct
          and participants == len(joined) == arguments.participants)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
