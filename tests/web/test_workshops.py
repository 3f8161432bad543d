"""Live workshops, end to end: join codes, phones answering one question at a time, the
facilitator's controls, the projector's figures and their protection, exports, attaching to a
campaign, who may reach a workshop, and tampered input.

The module runs with MIN_GROUP_SIZE = 3 (set for each test, then put back). The workshop is about
the Métropole de Lyon (epci:200046977) with the short « atelier » questionnaire:

    #   acteur      priorités                interlocuteurs  méfiance (rev.)  confiance  performance
    C1  citoyen     logement, emploi, santé  4               1                100        4 3 → 83.33
    C2  citoyen     logement, emploi         3               2                66.67      2 2 → 33.33
    C3  citoyen     logement                 1               4                0          1 1 → 0
    E1  entreprise  mobilité                 4               1                100        4 4 → 100

Citizens' priority shares: logement 3/3 = 100 %, emploi 2/3 = 67 %, santé 1/3 = 33 %; confiance
median 66.7 → « 67 », performance median 33.3 → « 33 »; nobody answers innovation (« — »). The
one company is under the minimum: its cells say « moins de 3 » and the whole room's figures leave
it out (mobilité is not among the room's priorities, the room's medians stay the citizens').
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
import string
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from diagnostic.extensions import db
from diagnostic.models import (
    Answer,
    Campaign,
    CampaignStat,
    LoginAttempt,
    Response,
    ResponseScore,
    User,
    Workshop,
)
from diagnostic.registry import catalog
from diagnostic.services import accounts, campaigns, territories, workshops
from diagnostic.services.exports import RESPONSE_COLUMNS
from tests.conftest import csrf_token, forget_organisers, sign_in

PASSWORD = "un mot de passe d'atelier assez long"
SCOPE = "epci:200046977"
ELSEWHERE = "commune:38185"
TITLE = "Atelier Sentinelle des Pentes"
MIN = 3
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNKNOWN_ID = "0123456789abcdef"

C1 = {"acteur": "citoyen", "priorites": ["logement", "emploi", "sante"],
      "conf_interlocuteurs": 4, "conf_mefiance": 1, "perf_services": 4, "perf_moyens": 3}
C2 = {"acteur": "citoyen", "priorites": ["logement", "emploi"],
      "conf_interlocuteurs": 3, "conf_mefiance": 2, "perf_services": 2, "perf_moyens": 2}
C3 = {"acteur": "citoyen", "priorites": ["logement"],
      "conf_interlocuteurs": 1, "conf_mefiance": 4, "perf_services": 1, "perf_moyens": 1}
E1 = {"acteur": "entreprise", "priorites": ["mobilite"],
      "conf_interlocuteurs": 4, "conf_mefiance": 1, "perf_services": 4, "perf_moyens": 4}
ATELIER_QUESTIONS = ["acteur", "priorites", "conf_interlocuteurs", "conf_mefiance",
                     "perf_services", "perf_moyens", "inno_source", "inno_experimentation",
                     "jouer_collectif", "levier"]


# --------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class People:
    """An organiser who runs the workshops, another organiser, an administrator."""

    ids: dict[str, int]
    emails: dict[str, str]
    clients: dict[str, object]


@dataclass(frozen=True)
class Made:
    id: int
    public_id: str
    code: str


def log_in(client, email: str) -> None:
    sign_in(client, email, PASSWORD)




@pytest.fixture(scope="module")
def people(app):
    """Made once per database (hashing passwords is slow on purpose), deleted after the
    module with everything they own."""
    emails = {role: f"atelier-{role}-{uuid.uuid4().hex[:10]}@example.org"
              for role in ("owner", "other", "admin")}
    with app.app_context():
        ids = {role: accounts.create_user(email, PASSWORD,
                                          "admin" if role == "admin" else "organiser").id
               for role, email in emails.items()}
    clients = {}
    for role, email in emails.items():
        clients[role] = app.test_client()
        log_in(clients[role], email)
    yield People(ids, emails, clients)
    forget_organisers(app, list(ids.values()))
    with app.app_context():
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails.values())))
        db.session.execute(delete(User).where(User.id.in_(ids.values())))
        db.session.commit()


@pytest.fixture(autouse=True)
def _small_groups_and_no_workshop_left(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "MIN_GROUP_SIZE", MIN)
    yield
    forget_organisers(app, list(people.ids.values()))


def make_workshop(app, owner_id: int, questionnaire: str = "atelier", sections=None,
                  step_mode: bool = False, shared_devices: bool = False, scope: str = SCOPE,
                  title: str = TITLE) -> Made:
    with app.app_context():
        workshop = workshops.create_workshop(
            db.session.get(User, owner_id), title, territories.get_territory(scope),
            catalog().get(questionnaire), sections, step_mode, shared_devices)
        return Made(workshop.id, workshop.public_id, workshop.code)


def state_of(app, made: Made) -> SimpleNamespace:
    with app.app_context():
        db.session.expire_all()
        workshop = db.session.get(Workshop, made.id)
        return SimpleNamespace(**{name: getattr(workshop, name) for name in (
            "code", "status", "revealed", "step_mode", "current_question", "campaign_id",
            "closed_at", "sections", "shared_devices", "territory", "questionnaire_id")})


def add_participant(app, made: Made, answers: dict) -> tuple[int, str]:
    """A participant joined and answered through the service (quicker than the pages)."""
    with app.app_context():
        workshop = db.session.get(Workshop, made.id)
        questionnaire = workshops.questionnaire_of(workshop, catalog())
        response, token = workshops.join(workshop, questionnaire, "fr")
        for question_id, value in answers.items():
            workshops.save_answer(workshop, questionnaire, response,
                                  questionnaire.question(question_id), value)
        return response.id, token


def answer_more(app, made: Made, token: str, answers: dict) -> None:
    with app.app_context():
        workshop = db.session.get(Workshop, made.id)
        questionnaire = workshops.questionnaire_of(workshop, catalog())
        response = workshops.participant(workshop, token)
        for question_id, value in answers.items():
            workshops.save_answer(workshop, questionnaire, response,
                                  questionnaire.question(question_id), value)


def close(app, made: Made) -> int:
    with app.app_context():
        workshop = db.session.get(Workshop, made.id)
        return workshops.close(workshop, workshops.questionnaire_of(workshop, catalog()))


def participants_of(app, made: Made) -> list[SimpleNamespace]:
    with app.app_context():
        db.session.expire_all()
        rows = db.session.execute(
            select(Response.id, Response.actor, Response.status, Response.campaign_id)
            .where(Response.workshop_id == made.id).order_by(Response.id)).all()
        return [SimpleNamespace(id=r.id, actor=r.actor, status=r.status, campaign_id=r.campaign_id)
                for r in rows]


def answers_of(app, response_id: int) -> list[tuple[str, object]]:
    """Every stored answer row of a response (a duplicate would show twice)."""
    with app.app_context():
        db.session.expire_all()
        return sorted((row.question_id, row.value) for row in db.session.execute(
            select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)))


def table_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        db.session.expire_all()
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Workshop, Response, Answer))


def organiser_token(client) -> str:
    page = client.get("/ateliers/nouveau")
    if page.status_code == 302:  # not logged in
        page = client.get("/connexion")
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def act(client, made: Made, action: str, **data):
    """A button of the facilitator's panel."""
    return client.post(f"/ateliers/{made.public_id}/{action}",
                       data={"csrf_token": organiser_token(client), **data})


def plain(answer) -> str:
    """The page's text: tags dropped, entities decoded, spaces collapsed."""
    body = answer.get_data(as_text=True) if hasattr(answer, "get_data") else answer
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def section(raw: str, title_id: str) -> str:
    match = re.search(rf'<section aria-labelledby="{title_id}"[^>]*>(.*?)</section>', raw, re.S)
    assert match, f"no section {title_id}"
    return match.group(1)


def rows_of(raw: str) -> dict[str, list[str]]:
    """Table rows: the row header's text → its cells' texts."""
    rows = {}
    for header, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', raw, re.S):
        rows[plain(header)] = [plain(cell) for cell in re.findall(r"<td>(.*?)</td>", cells, re.S)]
    return rows


def live(client, made: Made) -> str:
    answer = client.get(f"/ateliers/{made.public_id}/projection/direct")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def participants_shown(raw: str) -> int:
    match = re.search(r"<span data-participants>(\d+)</span>", raw)
    assert match, "no participant count"
    return int(match.group(1))


def priorities_shown(raw: str) -> list[tuple[str, int]]:
    return [(html.unescape(label), int(share)) for label, share in re.findall(
        r'<span class="bar-label">([^<]*)</span> <progress[^>]*></progress> '
        r"<strong>(\d+) %</strong>", section(raw, "top-title"))]


def vocabulary(app):
    with app.app_context():
        return catalog().vocabulary


def domain_name(app, domain: str) -> str:
    return vocabulary(app).domains[domain].fr


def actors_name(app, actor: str) -> str:
    return vocabulary(app).actor_plurals[actor].fr


class Phone:
    """A participant's phone: its own cookies, driving the participant pages."""

    def __init__(self, app, code: str) -> None:
        self.client = app.test_client()
        self.code = code
        self.token: str | None = None

    @property
    def base(self) -> str:
        return f"/a/{self.code}/p/{self.token}"

    def csrf(self) -> str:
        return csrf_token(self.client.get("/connexion").get_data(as_text=True))

    def join(self):
        page = self.client.get(f"/a/{self.code}")
        assert page.status_code == 200, page.status_code
        sent = self.client.post(f"/a/{self.code}",
                                data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert sent.status_code == 303, sent.status_code
        match = re.fullmatch(rf"/a/{self.code}/p/([\w-]+)", urlsplit(sent.location).path)
        assert match, sent.location
        self.token = match.group(1)
        return sent

    def answer(self, question_id: str, value=None, action: str = "next", csrf: bool = True):
        data: dict = {"action": action}
        if csrf:
            data["csrf_token"] = self.csrf()
        if value is not None:
            data[f"item_{question_id}"] = (
                [str(v) for v in value] if isinstance(value, list) else str(value))
        return self.client.post(f"{self.base}/q/{question_id}", data=data)

    def where(self) -> str:
        """The path the participant is sent to now (or the page's own path)."""
        answer = self.client.get(self.base)
        if answer.status_code in (302, 303):
            return urlsplit(answer.location).path
        assert answer.status_code == 200, answer.status_code
        return self.base

    def state(self) -> dict:
        answer = self.client.get(f"/a/{self.code}/etat.json")
        assert answer.status_code == 200
        return answer.get_json()


def fresh_code(app, *taken: str) -> str:
    with app.app_context():
        while True:
            code = workshops.new_code()
            if code not in taken and workshops.by_code(code) is None:
                return code


# --------------------------------------------------------------------------- 1. codes


def test_the_code_alphabet_has_no_look_alikes():
    alphabet = workshops.CODE_ALPHABET
    assert len(set(alphabet)) == len(alphabet)
    assert set(alphabet) <= set(string.ascii_uppercase + string.digits)
    # No character a room reads for another: 0/O, 1/I/L, 2/Z, 5/S, 8/B.
    assert not set(alphabet) & set("0O1IL2Z5S8B")
    assert len(alphabet) >= 20
    assert workshops.CODE_LENGTH == 6


def test_codes_are_six_characters_of_the_alphabet():
    codes = [workshops.new_code() for _ in range(600)]
    assert all(len(code) == 6 and set(code) <= set(workshops.CODE_ALPHABET) for code in codes)
    assert all(workshops.normalise_code(code) == code for code in codes)
    assert len(set(codes)) >= 595
    # Every character of the alphabet is drawn (3,600 draws out of 25 characters).
    assert set("".join(codes)) == set(workshops.CODE_ALPHABET)


@pytest.mark.parametrize(("typed", "expected"), [
    ("K7PM4X", "K7PM4X"),
    ("k7pm4x", "K7PM4X"),
    ("k7p-m4x", "K7PM4X"),
    ("  K7P M4X ", "K7PM4X"),
    ("k-7-p-m-4-x", "K7PM4X"),
    ("K7P\tM4X\n", "K7PM4X"),
])
def test_normalise_code_accepts_case_spaces_and_dashes(typed, expected):
    assert workshops.normalise_code(typed) == expected


@pytest.mark.parametrize("typed", [
    "", "K7PM4", "K7PM4XA", "K0PM4X", "KOPM4X", "K1PM4X", "KIPM4X", "KLPM4X", "K5PM4X",
    "K7PM4_", "K7PM4X;", "K7.PM4X", "K7PM4É", "K7PM4٣", "ＫＡＣＤＥＦ", "K7PM4X" * 50,
])
def test_normalise_code_refuses_anything_else(typed):
    assert workshops.normalise_code(typed) is None


def test_many_workshops_get_distinct_codes(app, people):
    made = [make_workshop(app, people.ids["owner"], title=f"Atelier {n}") for n in range(40)]
    codes = [item.code for item in made]
    assert len(set(codes)) == 40
    assert all(workshops.normalise_code(code) == code for code in codes)
    assert len({item.public_id for item in made}) == 40
    with app.app_context():
        for item in made[:5]:
            found = workshops.by_code(f" {item.code[:3].lower()}-{item.code[3:].lower()} ")
            assert found.public_id == item.public_id


def test_a_code_already_taken_is_drawn_again(app, people, monkeypatch):
    first = make_workshop(app, people.ids["owner"])
    fresh = fresh_code(app, first.code)
    draws = iter([first.code, fresh])
    drawn = []

    def rigged() -> str:
        drawn.append(next(draws))
        return drawn[-1]

    monkeypatch.setattr(workshops, "new_code", rigged)
    second = make_workshop(app, people.ids["owner"], title="Le second")
    assert drawn == [first.code, fresh]
    assert second.code == fresh
    with app.app_context():
        rows = dict(db.session.execute(select(Workshop.code, Workshop.title).where(
            Workshop.owner_id == people.ids["owner"])).all())
    assert rows == {first.code: TITLE, fresh: "Le second"}


def test_a_closed_workshops_code_is_never_given_again(app, people, monkeypatch):
    ended = make_workshop(app, people.ids["owner"], title="Atelier fini")
    close(app, ended)
    fresh = fresh_code(app, ended.code)
    draws = iter([ended.code, ended.code, fresh])
    monkeypatch.setattr(workshops, "new_code", lambda: next(draws))
    new = make_workshop(app, people.ids["owner"], title="Atelier neuf")
    assert new.code == fresh != ended.code
    assert state_of(app, ended).status == "closed"
    # The old code still says that its workshop is over, never opens the new one.
    answer = app.test_client().get(f"/a/{ended.code}")
    assert answer.status_code == 410
    assert "Atelier neuf" not in plain(answer)
    assert app.test_client().get(f"/a/{new.code}").status_code == 200


def test_when_every_draw_is_taken_no_workshop_is_made(app, people, monkeypatch):
    taken = make_workshop(app, people.ids["owner"])
    before = table_counts(app)
    monkeypatch.setattr(workshops, "new_code", lambda: taken.code)
    with app.app_context(), pytest.raises(workshops.WorkshopError) as raised:
        workshops.create_workshop(db.session.get(User, people.ids["owner"]), "Encore",
                                  territories.get_territory(SCOPE), catalog().get("atelier"))
    assert raised.value.code == "code"
    assert table_counts(app) == before


# --------------------------------------------------------------------------- 2. codes, pages


def test_a_closed_workshop_answers_410_everywhere_with_nothing_of_it(app, people):
    made = make_workshop(app, people.ids["owner"], shared_devices=True)
    phone = Phone(app, made.code)
    phone.join()
    assert phone.answer("acteur", "citoyen").status_code == 303
    assert phone.answer("levier", "regles_normes").status_code == 303
    csrf = phone.csrf()
    assert act(people.clients["owner"], made, "fermer").status_code == 303
    assert state_of(app, made).status == "closed"
    before = table_counts(app)
    requests = [
        ("GET", f"/a/{made.code}", {}),
        ("POST", f"/a/{made.code}", {"csrf_token": csrf}),
        ("GET", phone.base, {}),
        ("GET", f"{phone.base}/q/acteur", {}),
        ("GET", f"{phone.base}/q/levier", {}),
        ("POST", f"{phone.base}/q/levier",
         {"csrf_token": csrf, "action": "next", "item_levier": "vision_partagee"}),
        ("POST", f"{phone.base}/revoir", {"csrf_token": csrf}),
        ("POST", f"{phone.base}/suivant", {"csrf_token": csrf}),
    ]
    for method, url, data in requests:
        # A page of the workshop from the participant's phone or from anyone (a POST from a
        # browser without the form's session is refused before: CSRF).
        clients = (phone.client, app.test_client()) if method == "GET" else (phone.client,)
        for client in clients:
            answer = client.open(url, method=method, data=data)
            assert answer.status_code == 410, (method, url, answer.status_code)
            text = plain(answer)
            assert "Atelier terminé" in text, (method, url)
            for secret in (TITLE, phone.token, "Les règles et les normes", "regles_normes",
                           "Vous participez en tant que"):
                assert secret not in text, (method, url, secret)
    english = app.test_client().get(f"/a/{made.code}", headers={"Accept-Language": "en"})
    assert english.status_code == 410
    assert "This workshop is over" in plain(english)
    assert TITLE not in plain(english)
    assert table_counts(app) == before
    # What phones poll says it is over, and nothing more.
    assert phone.state() == {"status": "closed", "question": None}


def test_a_closed_step_by_step_workshop_no_longer_tells_its_question(app, people):
    made = make_workshop(app, people.ids["owner"], step_mode=True)
    phone = Phone(app, made.code)
    assert phone.state() == {"status": "open", "question": "acteur"}
    close(app, made)
    assert phone.state() == {"status": "closed", "question": None}


def test_an_unknown_code_is_404_with_the_code_form(app, people):
    made = make_workshop(app, people.ids["owner"])
    unknown = fresh_code(app, made.code)
    client = app.test_client()
    for url in (f"/a/{unknown}", f"/a?code={unknown.lower()}", f"/a/{unknown}/etat.json"):
        answer = client.get(url)
        assert answer.status_code == 404, url
    page = client.get(f"/a/{unknown}")
    body = page.get_data(as_text=True)
    assert 'name="code"' in body and 'action="/a"' in body
    assert "Aucun atelier n'a ce code" in plain(page)
    assert TITLE not in plain(page)
    typed = client.get(f"/a?code={unknown.lower()}")
    assert f'value="{unknown.lower()}"' in typed.get_data(as_text=True)
    # A token that is not a participant of this workshop is 404 too.
    assert client.get(f"/a/{made.code}/p/not-a-token").status_code == 404


def test_the_code_form_sends_to_the_workshop_whatever_the_case(app, people):
    made = make_workshop(app, people.ids["owner"])
    client = app.test_client()
    for typed in (made.code.lower(), f"{made.code[:3].lower()}-{made.code[3:]}",
                  f" {made.code[:3]} {made.code[3:]} "):
        answer = client.get("/a", query_string={"code": typed})
        assert answer.status_code == 302, typed
        assert urlsplit(answer.location).path == f"/a/{made.code}"
    # The address typed by hand, in lower case or with a dash, is the workshop's too.
    for typed in (made.code.lower(), f"{made.code[:3]}-{made.code[3:]}"):
        answer = client.get(f"/a/{typed}")
        assert answer.status_code == 302, typed
        assert urlsplit(answer.location).path == f"/a/{made.code}"
    empty = client.get("/a")
    assert empty.status_code == 200 and 'name="code"' in empty.get_data(as_text=True)
    join = client.get(f"/a/{made.code}")
    assert join.status_code == 200 and TITLE in plain(join)


def test_a_token_of_another_workshop_is_404(app, people):
    first = make_workshop(app, people.ids["owner"])
    second = make_workshop(app, people.ids["owner"], title="Autre atelier")
    phone = Phone(app, first.code)
    phone.join()
    assert phone.client.get(f"/a/{second.code}/p/{phone.token}").status_code == 404
    assert phone.client.get(f"/a/{second.code}/p/{phone.token}/q/acteur").status_code == 404


# --------------------------------------------------------------------------- 3. duplicates


def test_a_phone_that_joins_again_stays_one_participant(app, people):
    made = make_workshop(app, people.ids["owner"])
    owner = people.clients["owner"]
    phone = Phone(app, made.code)
    sent = phone.join()
    cookie = next(header for header in sent.headers.getlist("Set-Cookie")
                  if header.startswith(f"atelier_{made.code}="))
    assert cookie.startswith(f"atelier_{made.code}={phone.token};")
    assert f"Path=/a/{made.code}" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Max-Age=86400" in cookie
    assert urlsplit(phone.client.get(phone.base).location).path == f"{phone.base}/q/acteur"
    assert phone.answer("acteur", "citoyen").status_code == 303
    (first,) = participants_of(app, made)
    assert first.actor == "citoyen"
    assert participants_shown(live(owner, made)) == 1

    # Scanning the QR code again (the cookie is there): back to one's place, nobody new.
    again = phone.client.get(f"/a/{made.code}")
    assert again.status_code == 302
    assert urlsplit(again.location).path == phone.base
    # A second tap on « Take part » (another tab): the same participant again.
    page = phone.csrf()
    tapped = phone.client.post(f"/a/{made.code}", data={"csrf_token": page})
    assert tapped.status_code == 303
    assert urlsplit(tapped.location).path == phone.base
    assert [p.id for p in participants_of(app, made)] == [first.id]
    assert participants_shown(live(owner, made)) == 1

    # The same answer sent twice, then changed: one row, the last value.
    assert phone.answer("priorites", ["logement"]).status_code == 303
    assert phone.answer("priorites", ["logement"]).status_code == 303
    assert phone.client.get(f"{phone.base}/q/priorites").status_code == 200
    assert phone.answer("priorites", ["emploi", "sante"]).status_code == 303
    assert answers_of(app, first.id) == [("acteur", "citoyen"), ("priorites", ["emploi", "sante"])]
    with app.app_context():
        assert workshops.answered_counts(db.session.get(Workshop, made.id))["priorites"] == 1

    # A second phone is a second participant, counted once it says who it is.
    other = Phone(app, made.code)
    other.join()
    assert other.token != phone.token
    assert len(participants_of(app, made)) == 2
    assert participants_shown(live(owner, made)) == 1
    other.answer("acteur", "elu")
    raw = live(owner, made)
    assert participants_shown(raw) == 2
    counts = dict(re.findall(
        r'<span class="actor-name">([^<]*)</span> <strong>(\d+)</strong>', raw))
    assert counts[actors_name(app, "citoyen")] == "1"
    assert counts[actors_name(app, "elu")] == "1"
    assert counts[actors_name(app, "entreprise")] == "0"


def test_the_same_answer_sent_twice_at_once_is_stored_once(app, people):
    """A double tap: two requests for the same question, served at the same time, both find no
    answer yet. The second one to store it updates the first's row (no error page)."""
    made = make_workshop(app, people.ids["owner"])
    person, token = add_participant(app, made, {"acteur": "citoyen"})
    with app.app_context():
        workshop = db.session.get(Workshop, made.id)
        questionnaire = workshops.questionnaire_of(workshop, catalog())
        response = workshops.participant(workshop, token)
        assert response.answer_map() == {"acteur": "citoyen"}  # as the page reads it
        with app.app_context():  # the other request, with a session of its own
            other = db.session.get(Workshop, made.id)
            workshops.save_answer(other, questionnaire, workshops.participant(other, token),
                                  questionnaire.question("priorites"), ["emploi"])
        workshops.save_answer(workshop, questionnaire, response,
                              questionnaire.question("priorites"), ["logement"])
        assert response.current_section == 2
    assert answers_of(app, person) == [("acteur", "citoyen"), ("priorites", ["logement"])]


def test_the_join_form_sent_twice_without_its_cookie_is_one_participant(app, people):
    """A double tap whose first answer (and its cookie) was lost: the join form's idempotency
    key gives back the same participant."""
    made = make_workshop(app, people.ids["owner"])
    phone = Phone(app, made.code)
    page = phone.client.get(f"/a/{made.code}").get_data(as_text=True)
    key = re.search(r'name="submission" type="hidden" value="([\w-]+)"', page).group(1)
    form = {"csrf_token": csrf_token(page), "submission": key}
    first = phone.client.post(f"/a/{made.code}", data=form)
    phone.client.delete_cookie(f"atelier_{made.code}", path=f"/a/{made.code}")
    second = phone.client.post(f"/a/{made.code}", data=form)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(participants_of(app, made)) == 1
    # Another phone, another form: another participant.
    Phone(app, made.code).join()
    assert len(participants_of(app, made)) == 2


def test_a_campaign_link_posted_twice_starts_one_response(app, people):
    campaign = new_campaign(app, people.ids["owner"])
    with app.app_context():
        slug = next(link.slug for link in db.session.get(Campaign, campaign.id).links
                    if link.actor == "citoyen")
    client = app.test_client()
    page = client.get(f"/c/{slug}").get_data(as_text=True)
    key = re.search(r'name="submission" type="hidden" value="([\w-]+)"', page).group(1)
    form = {"csrf_token": csrf_token(page), "submission": key}
    first, second = client.post(f"/c/{slug}", data=form), client.post(f"/c/{slug}", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response).where(
            Response.campaign_id == campaign.id)) == 1


def test_the_cookie_of_one_workshop_does_not_open_another(app, people):
    first = make_workshop(app, people.ids["owner"])
    second = make_workshop(app, people.ids["owner"], title="Atelier voisin")
    phone = Phone(app, first.code)
    phone.join()
    answer = phone.client.get(f"/a/{second.code}")
    assert answer.status_code == 200
    assert "Atelier voisin" in plain(answer)


def finish(phone: Phone, actor: str) -> None:
    """Say who one is, then skip every other question."""
    assert phone.answer("acteur", actor).status_code == 303
    for question in ATELIER_QUESTIONS[1:]:
        assert phone.answer(question, action="skip").status_code == 303


def test_next_participant_on_a_shared_phone(app, people):
    owner = people.clients["owner"]
    single = make_workshop(app, people.ids["owner"])
    phone = Phone(app, single.code)
    phone.join()
    finish(phone, "citoyen")
    refused = phone.client.post(f"{phone.base}/suivant", data={"csrf_token": phone.csrf()})
    assert refused.status_code == 400
    assert len(participants_of(app, single)) == 1
    wait = phone.client.get(phone.base)
    assert wait.status_code == 200
    assert "Merci, vos réponses sont enregistrées" in plain(wait)
    assert "Participant suivant sur ce téléphone" not in plain(wait)

    shared = make_workshop(app, people.ids["owner"], shared_devices=True, title="Atelier partagé")
    phone = Phone(app, shared.code)
    phone.join()
    finish(phone, "citoyen")
    wait = phone.client.get(phone.base)
    assert wait.status_code == 200
    assert "Participant suivant sur ce téléphone" in plain(wait)
    assert phone.client.post(f"{phone.base}/suivant").status_code == 400
    assert len(participants_of(app, shared)) == 1
    first_token = phone.token
    sent = phone.client.post(f"{phone.base}/suivant", data={"csrf_token": phone.csrf()})
    assert sent.status_code == 303
    new_token = re.fullmatch(rf"/a/{shared.code}/p/([\w-]+)", urlsplit(sent.location).path)[1]
    assert new_token != first_token
    assert f"atelier_{shared.code}={new_token};" in " ".join(sent.headers.getlist("Set-Cookie"))
    people_now = participants_of(app, shared)
    assert [p.actor for p in people_now] == ["citoyen", None]
    # The phone now belongs to the next participant, who starts with « who are you ».
    back = phone.client.get(f"/a/{shared.code}")
    assert urlsplit(back.location).path == f"/a/{shared.code}/p/{new_token}"
    phone.token = new_token
    assert phone.where() == f"{phone.base}/q/acteur"
    phone.answer("acteur", "entreprise")
    assert participants_shown(live(owner, shared)) == 2
    assert [p.actor for p in participants_of(app, shared)] == ["citoyen", "entreprise"]


# --------------------------------------------------------------------------- 4. reveal


def test_figures_appear_once_revealed_and_once_enough_people_answered(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    add_participant(app, made, C1)
    add_participant(app, made, C2)
    _third, token = add_participant(app, made, {"acteur": "citoyen"})

    raw = live(owner, made)
    assert participants_shown(raw) == 3
    assert "Les résultats apparaîtront ici quand l'animateur les révélera." in plain(raw)
    assert "Les priorités de la salle" not in plain(raw)
    assert "%" not in plain(raw)

    assert act(owner, made, "reveler").status_code == 303
    assert state_of(app, made).revealed is True
    raw = live(owner, made)
    # The third said who they are, nothing else: two people have answered.
    assert ("Les résultats apparaîtront dès que 3 personnes auront répondu (2 pour l'instant)."
            in plain(raw))
    assert "Les priorités de la salle" not in plain(raw)
    summary = owner.get(f"/ateliers/{made.public_id}/synthese")
    assert ("Moins de 3 participants ont répondu : aucun chiffre ne peut être montré."
            in plain(summary))

    answer_more(app, made, token, {key: value for key, value in C3.items() if key != "acteur"})
    raw = live(owner, made)
    assert participants_shown(raw) == 3
    assert priorities_shown(raw) == [
        (domain_name(app, "logement"), 100), (domain_name(app, "emploi"), 67),
        (domain_name(app, "sante"), 33)]
    profile = rows_of(section(raw, "profile-title"))
    assert profile["Toute la salle"] == ["67", "33", "—"]
    assert profile[actors_name(app, "citoyen")] == ["67", "33", "—"]
    assert profile[actors_name(app, "entreprise")] == ["—", "—", "—"]
    # The same on the projector page itself.
    page = owner.get(f"/ateliers/{made.public_id}/projection")
    assert priorities_shown(page.get_data(as_text=True))[0] == (domain_name(app, "logement"), 100)
    assert made.code in plain(page)

    # The histogram of the question shown: interlocuteurs 4, 3, 1.
    assert act(owner, made, "question", question="conf_interlocuteurs").status_code == 303
    assert state_of(app, made).current_question == "conf_interlocuteurs"
    histogram = section(live(owner, made), "histogram-title")
    bars = [(html.unescape(label), int(count)) for label, count in re.findall(
        r'<span class="bar-label">([^<]*)</span> <progress[^>]*></progress> '
        r"<strong>(\d+)</strong>", histogram)]
    assert bars == [("Tout à fait d'accord", 1), ("Plutôt d'accord", 1),
                    ("Plutôt pas d'accord", 0), ("Pas du tout d'accord", 1), ("Ne sait pas", 0)]
    # (100 + 66.67 + 0) / 3 = 55.6.
    assert "Moyenne : 56 / 100 sur 3 réponses" in plain(histogram)

    assert act(owner, made, "masquer").status_code == 303
    raw = live(owner, made)
    assert "Les résultats apparaîtront ici quand l'animateur les révélera." in plain(raw)
    assert "Les priorités de la salle" not in plain(raw)


def test_a_small_actor_group_is_hidden_while_the_whole_room_shows(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    for answers in (C1, C2, C3, E1):
        add_participant(app, made, answers)
    act(owner, made, "reveler")
    raw = live(owner, made)
    assert participants_shown(raw) == 4
    text = plain(raw)
    assert f"{actors_name(app, 'entreprise')} 1" in text
    # The company's « mobilité » is not among the room's priorities: the room's shares are the
    # citizens' (with it, mobilité would show 25 % and logement 75 %).
    assert priorities_shown(raw) == [
        (domain_name(app, "logement"), 100), (domain_name(app, "emploi"), 67),
        (domain_name(app, "sante"), 33)]
    profile = rows_of(section(raw, "profile-title"))
    # (The company answered no innovation item: nothing there to hide.)
    assert profile[actors_name(app, "entreprise")] == ["moins de 3", "moins de 3", "—"]
    assert profile[actors_name(app, "citoyen")] == ["67", "33", "—"]
    # With the company (100 and 100), the room's medians would be 83 and 58.
    assert profile["Toute la salle"] == ["67", "33", "—"]
    domains = rows_of(section(raw, "domains-title"))
    # Columns: citoyens, entreprises, associations, élus, the whole room.
    assert domains[domain_name(app, "logement")] == ["100 %", "moins de 3", "—", "—", "100 %"]
    assert domains[domain_name(app, "mobilite")] == ["0 %", "moins de 3", "—", "—", "0 %"]
    assert domains[domain_name(app, "sante")] == ["33 %", "moins de 3", "—", "—", "33 %"]

    # The summary shows the same figures, revealed or not.
    act(owner, made, "masquer")
    summary = plain(owner.get(f"/ateliers/{made.public_id}/synthese"))
    assert f"{domain_name(app, 'logement')} — 100 %" in summary
    assert domain_name(app, "mobilite") not in summary.split("Profil d'impact")[0]
    assert "moins de 3" in summary

    # Two more companies: now the company column shows, and the room counts everyone.
    for _ in range(2):
        add_participant(app, made, E1)
    act(owner, made, "reveler")
    raw = live(owner, made)
    # Ties in the vocabulary's order: mobilité comes before logement.
    assert priorities_shown(raw) == [
        (domain_name(app, "mobilite"), 50), (domain_name(app, "logement"), 50),
        (domain_name(app, "emploi"), 33), (domain_name(app, "sante"), 17)]
    profile = rows_of(section(raw, "profile-title"))
    assert profile[actors_name(app, "entreprise")] == ["100", "100", "—"]


def test_joining_a_workshop_on_a_full_questionnaire_is_not_answering(app, people):
    """A full questionnaire has the territory as its first question: participants get the
    workshop's; it is no answer of theirs and counts for no figure."""
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"], questionnaire="citoyen", sections=["regards"])
    tokens = [add_participant(app, made, {})[1] for _ in range(3)]
    act(owner, made, "reveler")
    raw = live(owner, made)
    assert participants_shown(raw) == 3
    assert ("Les résultats apparaîtront dès que 3 personnes auront répondu (0 pour l'instant)."
            in plain(raw))
    for token in tokens:
        answer_more(app, made, token, {"jouer_collectif": "utile"})
    raw = live(owner, made)
    assert "Les priorités de la salle" in plain(raw)


# --------------------------------------------------------------------------- 5. controls


def test_pausing_stores_nothing_and_tells_the_phones(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    phone = Phone(app, made.code)
    phone.join()
    phone.answer("acteur", "citoyen")
    (person,) = participants_of(app, made)
    assert act(owner, made, "suspendre").status_code == 303
    assert state_of(app, made).status == "paused"
    assert phone.state() == {"status": "paused", "question": None}
    panel = plain(owner.get(f"/ateliers/{made.public_id}"))
    assert "Les réponses sont suspendues" in panel

    before = answers_of(app, person.id)
    sent = phone.answer("priorites", ["logement"])
    assert sent.status_code == 303
    assert urlsplit(sent.location).path == phone.base
    assert answers_of(app, person.id) == before
    assert phone.client.get(f"{phone.base}/q/priorites").status_code == 303
    paused = phone.client.get(phone.base)
    assert paused.status_code == 200
    assert "Les réponses sont suspendues" in plain(paused)
    assert 'name="item_priorites"' not in paused.get_data(as_text=True)
    newcomer = app.test_client().get(f"/a/{made.code}")
    assert "Les réponses sont suspendues pour le moment" in plain(newcomer)

    assert act(owner, made, "ouvrir").status_code == 303
    assert state_of(app, made).status == "open"
    assert phone.state()["status"] == "open"
    assert phone.where() == f"{phone.base}/q/priorites"
    phone.answer("priorites", ["logement"])
    assert ("priorites", ["logement"]) in answers_of(app, person.id)


def test_step_by_step_phones_get_the_rooms_question_only(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"], step_mode=True)
    assert state_of(app, made).current_question == "acteur"
    phone = Phone(app, made.code)
    assert phone.state() == {"status": "open", "question": "acteur"}
    phone.join()
    assert phone.where() == f"{phone.base}/q/acteur"
    phone.answer("acteur", "citoyen")
    (person,) = participants_of(app, made)
    wait = phone.client.get(phone.base)
    assert wait.status_code == 200
    assert "Réponse enregistrée" in plain(wait)
    # Not the room's question: sent back, nothing stored.
    assert phone.client.get(f"{phone.base}/q/priorites").status_code == 303
    assert phone.answer("conf_interlocuteurs", 4).status_code == 303
    assert answers_of(app, person.id) == sorted([("acteur", "citoyen")])

    def move(**data) -> str:
        assert act(owner, made, "question", **data).status_code == 303
        return state_of(app, made).current_question

    assert move(move="next") == "priorites"
    assert phone.state() == {"status": "open", "question": "priorites"}
    assert phone.where() == f"{phone.base}/q/priorites"
    phone.answer("priorites", ["emploi"])
    assert ("priorites", ["emploi"]) in answers_of(app, person.id)
    assert "Réponse enregistrée" in plain(phone.client.get(phone.base))
    assert move(move="next") == "conf_interlocuteurs"
    assert move(move="previous") == "priorites"
    assert move(move="previous") == "acteur"
    assert move(move="previous") == "acteur"
    assert move(question="levier") == "levier"
    assert move(move="next") == "levier"
    assert phone.state()["question"] == "levier"
    assert phone.where() == f"{phone.base}/q/levier"
    panel = owner.get(f"/ateliers/{made.public_id}").get_data(as_text=True)
    current = re.search(r'<tr class="current">\s*<th scope="row">(.*?)</th>', panel, re.S)
    assert plain(current.group(1)).startswith("10. ")


def test_closing_completes_who_said_who_they_are_and_drops_the_others(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    citizen, _ = add_participant(app, made, {"acteur": "citoyen", "conf_interlocuteurs": 4,
                                             "conf_mefiance": 2})
    nobody, _ = add_participant(app, made, {})
    # Saying who one is, and nothing else, is not answering: dropped too.
    silent, _ = add_participant(app, made, {"acteur": "elu"})
    company, _ = add_participant(app, made, {"acteur": "entreprise", "levier": "vision_partagee"})
    assert act(owner, made, "fermer").status_code == 303
    state = state_of(app, made)
    assert state.status == "closed" and state.closed_at is not None
    remaining = participants_of(app, made)
    assert [(p.id, p.actor, p.status) for p in remaining] == [
        (citizen, "citoyen", "completed"), (company, "entreprise", "completed")]
    assert answers_of(app, nobody) == [] and answers_of(app, silent) == []
    with app.app_context():
        scores = {row.axis: row for row in db.session.scalars(
            select(ResponseScore).where(ResponseScore.response_id == citizen))}
        completed_at = db.session.get(Response, citizen).completed_at
    assert completed_at is not None
    # (4 → 100, méfiance 2 reversed → 66.67) / 2.
    assert scores["confiance"].score == pytest.approx(83.333, abs=0.01)
    assert scores["confiance"].coverage == 1.0
    assert scores["performance"].score is None
    panel = owner.get(f"/ateliers/{made.public_id}")
    body = panel.get_data(as_text=True)
    status = re.search(r'<p class="status status-closed"[^>]*>(.*?)</p>', body, re.S)
    assert status and plain(status.group(1)) == "Clos"
    for action in ("suspendre", "ouvrir", "reveler", "fermer", "question"):
        assert f"/ateliers/{made.public_id}/{action}" not in body, action
    # Closed for good: opening again or moving the question changes nothing.
    assert act(owner, made, "ouvrir").status_code == 303
    assert "Cet atelier est clos." in plain(owner.get(f"/ateliers/{made.public_id}"))
    assert act(owner, made, "question", move="next").status_code == 400
    assert act(owner, made, "fermer").status_code == 303
    assert state_of(app, made).status == "closed"
    assert state_of(app, made).closed_at == state.closed_at


# --------------------------------------------------------------------------- 6. panel, exports


def test_the_panel_counts_answers_per_question_and_no_one(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    tokens = [add_participant(app, made, answers)[1] for answers in (C1, C2, C3, E1)]
    tokens.append(add_participant(app, made, {})[1])
    answer_more(app, made, tokens[0], {"levier": None})
    page = owner.get(f"/ateliers/{made.public_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    rows = rows_of(section(body, "question-title"))
    counts = {int(header.split(".")[0]): int(cells[0]) for header, cells in rows.items()}
    assert counts == {1: 4, 2: 4, 3: 4, 4: 4, 5: 4, 6: 4, 7: 0, 8: 0, 9: 0, 10: 1}
    assert "4 participants" in plain(page)
    for token in tokens:
        assert token not in body
    with app.app_context():
        public_ids = db.session.scalars(select(Response.public_id).where(
            Response.workshop_id == made.id)).all()
    assert len(public_ids) == 5
    assert not any(public_id in body for public_id in public_ids)


def read_csv(answer) -> list[list[str]]:
    data = answer.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_exports_one_row_per_participant_without_the_small_group(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    tokens = [add_participant(app, made, answers)[1] for answers in (C1, C2, C3, E1, {})]
    answer = owner.get(f"/ateliers/{made.public_id}/export.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert f'filename="atelier-{made.code}.csv"' in answer.headers["Content-Disposition"]
    header, *rows = read_csv(answer)
    fixed = [name for name, _fr, _en in RESPONSE_COLUMNS]
    assert header == fixed + ATELIER_QUESTIONS[1:]
    assert header.count("acteur") == 1
    # Three citizens; the lone company is left out, as is who never said who they are.
    assert len(rows) == 3
    month = datetime.now(UTC).strftime("%Y-%m")
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["reponse"]] for row in rows] == ["1", "2", "3"]
    assert {row[column["acteur"]] for row in rows} == {"citoyen"}
    assert {row[column["questionnaire"]] for row in rows} == {"atelier"}
    assert {row[column["version"]] for row in rows} == {"1"}
    assert {row[column["mois"]] for row in rows} == {month}
    assert {row[column["territoire"]] for row in rows} == {SCOPE}
    got = sorted((row[column["priorites"]], row[column["conf_interlocuteurs"]],
                  row[column["perf_moyens"]], row[column["levier"]]) for row in rows)
    assert got == sorted([("logement;emploi;sante", "4", "3", ""),
                          ("logement;emploi", "3", "2", ""), ("logement", "1", "1", "")])
    text = answer.get_data(as_text=True)
    with app.app_context():
        hidden = db.session.execute(select(Response.public_id, Response.token_hash).where(
            Response.workshop_id == made.id)).all()
    for secret in tokens + [value for row in hidden for value in row]:
        assert secret not in text
    assert "mobilite" not in text and "entreprise" not in text

    workbook = load_workbook(io.BytesIO(
        owner.get(f"/ateliers/{made.public_id}/export.xlsx").get_data()))
    assert workbook.sheetnames == ["reponses", "libelles", "codebook", "notes"]
    sheet = [[("" if cell is None else str(cell)) for cell in row]
             for row in workbook["reponses"].iter_rows(values_only=True)]
    assert sheet[0] == header
    assert sorted(sheet[1:]) == sorted(rows)
    labels = list(workbook["libelles"].iter_rows(values_only=True))
    assert labels[0][column["conf_interlocuteurs"]] == "conf_interlocuteurs"
    assert sorted(row[column["conf_interlocuteurs"]] for row in labels[1:]) == [
        "Pas du tout d'accord", "Plutôt d'accord", "Tout à fait d'accord"]
    notes = [row[0] for row in workbook["notes"].iter_rows(values_only=True)]
    assert any(note.startswith("entreprise: moins de 3 réponses, non exportées") for note in notes)


def test_exports_free_texts_from_twice_the_minimum_neutralised(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"], questionnaire="citoyen", sections=["regards"])
    texts = ['=HYPERLINK("http://example.org","clic")', "+33 6 00 00 00 00", "@SUM(A1)",
             "-2+3", "Une alliance réussie", "Le jardin partagé"]
    for text in texts[:5]:
        add_participant(app, made, {"jouer_collectif": "utile", "commentaire": text})
    header, *rows = read_csv(owner.get(f"/ateliers/{made.public_id}/export.csv"))
    assert "territoire" in header and header.count("territoire") == 1
    assert header[len(RESPONSE_COLUMNS):] == ["jouer_collectif", "travaillent_ensemble",
                                               "levier", "odd_connaissance", "odd_niveau",
                                               "commentaire"]
    comment = header.index("commentaire")
    # Five citizens: fewer than twice the minimum, their free texts stay out.
    assert len(rows) == 5
    assert {row[comment] for row in rows} == {""}
    add_participant(app, made, {"jouer_collectif": "utile", "commentaire": texts[5]})
    header, *rows = read_csv(owner.get(f"/ateliers/{made.public_id}/export.csv"))
    assert sorted(row[comment] for row in rows) == sorted(
        ["'" + text for text in texts[:4]] + texts[4:])
    assert {row[header.index("jouer_collectif")] for row in rows} == {"utile"}
    workbook = load_workbook(io.BytesIO(
        owner.get(f"/ateliers/{made.public_id}/export.xlsx").get_data()))
    cells = [row[comment] for row in workbook["reponses"].iter_rows(min_row=2, values_only=True)]
    assert sorted(cells) == sorted(["'" + text for text in texts[:4]] + texts[4:])


# --------------------------------------------------------------------------- 7. campaigns


def new_campaign(app, owner_id: int, scope: str = SCOPE, actors=("citoyen", "entreprise"),
                 title: str = "Campagne des Pentes") -> SimpleNamespace:
    with app.app_context():
        campaign = campaigns.create_campaign(db.session.get(User, owner_id), title,
                                             territories.get_territory(scope),
                                             {actor: actor for actor in actors})
        return SimpleNamespace(id=campaign.id, public_id=campaign.public_id)


def counts_of(app, campaign) -> dict[str, int]:
    with app.app_context():
        db.session.expire_all()
        return campaigns.response_counts(db.session.get(Campaign, campaign.id))


def test_attaching_a_closed_workshop_to_a_campaign_of_its_territory(app, people):
    owner = people.clients["owner"]
    made = make_workshop(app, people.ids["owner"])
    for answers in (C1, C2, C3, E1, {}):
        add_participant(app, made, answers)
    campaign = new_campaign(app, people.ids["owner"])
    elsewhere = new_campaign(app, people.ids["owner"], ELSEWHERE, title="Campagne d'ailleurs")

    refused = act(owner, made, "rattacher", campaign=campaign.public_id)
    assert refused.status_code == 303
    assert ("Clôturez l'atelier avant d'en ajouter les réponses à une campagne."
            in plain(owner.get(refused.location)))
    assert counts_of(app, campaign) == {}
    assert state_of(app, made).campaign_id is None

    act(owner, made, "fermer")
    panel = owner.get(f"/ateliers/{made.public_id}").get_data(as_text=True)
    options = re.findall(r'<option value="([0-9a-f]+)">', panel)
    assert options == [campaign.public_id]

    refused = act(owner, made, "rattacher", campaign=elsewhere.public_id)
    assert ("La campagne doit porter sur le territoire de l'atelier."
            in plain(owner.get(refused.location)))
    assert counts_of(app, elsewhere) == {}
    assert state_of(app, made).campaign_id is None

    done = act(owner, made, "rattacher", campaign=campaign.public_id)
    assert done.status_code == 303
    assert ("4 réponses ajoutées à la campagne « Campagne des Pentes »."
            in plain(owner.get(done.location)))
    assert counts_of(app, campaign) == {"citoyen": 3, "entreprise": 1}
    assert state_of(app, made).campaign_id == campaign.id
    assert sorted(p.campaign_id for p in participants_of(app, made)) == [campaign.id] * 4

    again = act(owner, made, "rattacher", campaign=campaign.public_id)
    assert ("Les réponses de cet atelier ont déjà été ajoutées à une campagne."
            in plain(owner.get(again.location)))
    assert counts_of(app, campaign) == {"citoyen": 3, "entreprise": 1}
    with app.app_context():
        stats = db.session.scalar(select(func.count()).select_from(CampaignStat).where(
            CampaignStat.campaign_id == campaign.id, CampaignStat.metric == "n"))
    # citoyen and entreprise, each for the whole campaign only (no commune: the workshop is
    # about the EPCI).
    assert stats == 2
    assert "Les réponses ont été ajoutées à une campagne." in plain(
        owner.get(f"/ateliers/{made.public_id}"))


def test_only_the_actor_types_of_the_campaign_are_attached(app, people):
    made = make_workshop(app, people.ids["owner"])
    for answers in (C1, C2, E1):
        add_participant(app, made, answers)
    close(app, made)
    campaign = new_campaign(app, people.ids["owner"], actors=("citoyen",))
    answer = act(people.clients["owner"], made, "rattacher", campaign=campaign.public_id)
    assert ("2 réponses ajoutées à la campagne" in plain(
        people.clients["owner"].get(answer.location)))
    assert counts_of(app, campaign) == {"citoyen": 2}
    assert sorted((p.actor, p.campaign_id) for p in participants_of(app, made)) == [
        ("citoyen", campaign.id), ("citoyen", campaign.id), ("entreprise", None)]


def test_a_campaign_addressing_none_of_the_participants_is_neither_offered_nor_attached(
        app, people):
    made = make_workshop(app, people.ids["owner"])
    add_participant(app, made, C1)
    close(app, made)
    companies = new_campaign(app, people.ids["owner"], actors=("entreprise",))
    owner = people.clients["owner"]
    panel = owner.get(f"/ateliers/{made.public_id}").get_data(as_text=True)
    assert companies.public_id not in panel
    refused = act(owner, made, "rattacher", campaign=companies.public_id)
    assert ("La campagne ne s'adresse à aucun des types d'acteurs des participants de l'atelier."
            in plain(owner.get(refused.location)))
    assert counts_of(app, companies) == {}
    # Still free to be attached to a campaign that fits.
    assert state_of(app, made).campaign_id is None


def test_attaching_through_the_service_refuses_what_it_must(app, people):
    made = make_workshop(app, people.ids["owner"])
    add_participant(app, made, C1)
    campaign = new_campaign(app, people.ids["owner"])
    elsewhere = new_campaign(app, people.ids["owner"], ELSEWHERE)

    def attach(target) -> int | str:
        with app.app_context():
            try:
                return workshops.attach(db.session.get(Workshop, made.id),
                                        db.session.get(Campaign, target.id), catalog())
            except workshops.WorkshopError as error:
                return error.code

    assert attach(campaign) == "open"
    close(app, made)
    assert attach(elsewhere) == "territory"
    assert attach(campaign) == 1
    assert attach(campaign) == "attached"
    assert attach(elsewhere) == "attached"
    assert counts_of(app, campaign) == {"citoyen": 1}
    assert counts_of(app, elsewhere) == {}


# --------------------------------------------------------------------------- 8. access


@dataclass(frozen=True)
class Target:
    method: str
    #: `{id}` stands for the workshop's public id.
    path: str
    mimetype: str | None = None

    def url(self, public_id: str) -> str:
        return self.path.format(id=public_id)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


TARGETS = [
    Target("GET", "/ateliers/{id}", "text/html"),
    Target("POST", "/ateliers/{id}/ouvrir"),
    Target("POST", "/ateliers/{id}/suspendre"),
    Target("POST", "/ateliers/{id}/fermer"),
    Target("POST", "/ateliers/{id}/reveler"),
    Target("POST", "/ateliers/{id}/masquer"),
    Target("POST", "/ateliers/{id}/question"),
    Target("GET", "/ateliers/{id}/projection", "text/html"),
    Target("GET", "/ateliers/{id}/projection/direct", "text/html"),
    Target("GET", "/ateliers/{id}/qr.svg", "image/svg+xml"),
    Target("GET", "/ateliers/{id}/qr.png", "image/png"),
    Target("GET", "/ateliers/{id}/export.csv", "text/csv"),
    Target("GET", "/ateliers/{id}/export.xlsx", XLSX),
    Target("GET", "/ateliers/{id}/synthese", "text/html"),
    Target("GET", "/ateliers/{id}/synthese?format=pdf", "application/pdf"),
    Target("POST", "/ateliers/{id}/rattacher"),
    Target("POST", "/ateliers/{id}/supprimer"),
]
TARGET_IDS = [str(target) for target in TARGETS]


def test_every_workshop_route_is_in_the_url_list(app):
    """A new facilitator route cannot escape the access checks: add it to TARGETS."""
    adapter = app.url_map.bind("diagnostic.test")
    reached: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for target in TARGETS:
        path = target.url(UNKNOWN_ID).split("?")[0]
        rule, values = adapter.match(path, method=target.method, return_rule=True)
        options = tuple(values[name] for name in re.findall(r"<any\([^)]*\):(\w+)>", rule.rule))
        reached.setdefault((rule.rule, target.method), set()).add(options)
    missing = []
    guarded = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/ateliers/<")]
    assert len(guarded) >= 10
    for rule in guarded:
        choices = [[item.strip().strip("'\"") for item in items.split(",")]
                   for items in re.findall(r"<any\(([^)]*)\):\w+>", rule.rule)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for options in itertools.product(*choices):
                if options not in reached.get((rule.rule, method), set()):
                    missing.append(f"{method} {rule.rule} {options}")
    assert not missing, f"workshop routes missing from TARGETS: {missing}"


def snapshot(app, made: Made) -> tuple:
    state = state_of(app, made)
    return (state.status, state.revealed, state.current_question, state.campaign_id)


def send(client, target: Target, made: Made, campaign=None):
    if target.method == "POST":
        data = {"csrf_token": organiser_token(client), "move": "next"}
        if campaign is not None:
            data["campaign"] = campaign.public_id
        return client.post(target.url(made.public_id), data=data)
    return client.get(target.url(made.public_id))


def is_login_redirect(answer, next_: str) -> bool:
    if answer.status_code != 302:
        return False
    location = urlsplit(answer.location)
    return location.path == "/connexion" and parse_qs(location.query).get("next") == [next_]


@pytest.fixture
def target_workshop(app, people):
    made = make_workshop(app, people.ids["owner"])
    add_participant(app, made, C1)
    return made


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_anonymous_visitors_are_sent_to_log_in(app, people, target_workshop, target):
    made = target_workshop
    before = snapshot(app, made)
    answer = send(app.test_client(), target, made)
    assert is_login_redirect(answer, target.url(made.public_id)), (answer.status_code,
                                                                   answer.location)
    assert TITLE not in answer.get_data(as_text=True)
    assert made.code not in answer.get_data(as_text=True)
    assert snapshot(app, made) == before


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_another_organiser_gets_404(app, people, target_workshop, target):
    made = target_workshop
    theirs = new_campaign(app, people.ids["other"])
    if target.path.endswith("/ouvrir"):
        act(people.clients["owner"], made, "suspendre")
    if target.path.endswith("/rattacher"):
        close(app, made)
    before = snapshot(app, made)
    answer = send(people.clients["other"], target, made, campaign=theirs)
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert TITLE not in body and made.code not in body
    assert snapshot(app, made) == before
    assert counts_of(app, theirs) == {}


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_the_owner_and_administrators_run_the_workshop(app, people, target_workshop, target, role):
    made = target_workshop
    campaign = new_campaign(app, people.ids["owner"])
    if target.path.endswith("/ouvrir"):
        act(people.clients["owner"], made, "suspendre")
    if target.path.endswith("/masquer"):
        act(people.clients["owner"], made, "reveler")
    if target.path.endswith("/rattacher"):
        close(app, made)
    before = snapshot(app, made)
    answer = send(people.clients[role], target, made, campaign=campaign)
    if target.path.endswith("/supprimer"):
        # Without « confirmer »: the page asking to confirm, nothing deleted (test_privacy.py
        # deletes).
        assert answer.status_code == 200
        assert TITLE in plain(answer)
        assert snapshot(app, made) == before and len(participants_of(app, made)) == 1
        return
    if target.method == "POST":
        assert answer.status_code == 303, answer.status_code
        assert urlsplit(answer.location).path == f"/ateliers/{made.public_id}"
        state = state_of(app, made)
        action = target.path.rsplit("/", 1)[1]
        expected = {
            "ouvrir": ("status", "open"), "suspendre": ("status", "paused"),
            "fermer": ("status", "closed"), "reveler": ("revealed", True),
            "masquer": ("revealed", False), "question": ("current_question", "acteur"),
            "rattacher": ("campaign_id", campaign.id),
        }[action]
        assert getattr(state, expected[0]) == expected[1]
        if action == "rattacher":
            assert counts_of(app, campaign) == {"citoyen": 1}
        return
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == target.mimetype
    data = answer.get_data()
    if target.path.endswith("/direct"):
        assert participants_shown(answer.get_data(as_text=True)) == 1
    elif target.mimetype == "text/html":
        assert TITLE in plain(answer)
    elif target.mimetype == "application/pdf":
        assert data.startswith(b"%PDF")
    elif target.mimetype == "image/png":
        assert data.startswith(b"\x89PNG")
    elif target.mimetype == XLSX:
        assert data.startswith(b"PK")
    elif target.mimetype == "image/svg+xml":
        assert b"<svg" in data
    elif target.mimetype == "text/csv":
        assert data.decode("utf-8-sig").startswith("reponse,acteur,")


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_an_unknown_workshop_is_404(app, people, target, role):
    ghost = Made(0, UNKNOWN_ID, "")
    assert send(people.clients[role], target, ghost).status_code == 404
    assert send(people.clients[role], target, Made(0, "x" * 40, "")).status_code == 404


@pytest.mark.parametrize(("role", "sees"), [
    ("owner", {"mine"}), ("other", {"theirs"}), ("admin", {"mine", "theirs"})])
def test_the_list_shows_the_workshops_one_may_run(app, people, role, sees):
    ids = {"mine": make_workshop(app, people.ids["owner"]).public_id,
           "theirs": make_workshop(app, people.ids["other"], title="Atelier d'en face").public_id}
    page = people.clients[role].get("/ateliers")
    assert page.status_code == 200
    shown = set(re.findall(r'href="/ateliers/([0-9a-f]{16})"', page.get_data(as_text=True)))
    assert shown == {ids[name] for name in sees}


def test_the_list_and_the_form_need_login(app, people):
    for path in ("/ateliers", "/ateliers/nouveau"):
        assert is_login_redirect(app.test_client().get(path), path)
    client = app.test_client()
    sent = client.post("/ateliers/nouveau", data={
        "csrf_token": organiser_token(client), "title": "Intrus", "territory": SCOPE,
        "questionnaire": "atelier"})
    assert is_login_redirect(sent, "/ateliers/nouveau")


def test_status_changes_need_csrf_and_post(app, people):
    made = make_workshop(app, people.ids["owner"])
    client = people.clients["owner"]
    for action in ("suspendre", "fermer", "reveler", "question", "rattacher"):
        url = f"/ateliers/{made.public_id}/{action}"
        assert client.get(url).status_code == 405
        assert client.post(url, data={"move": "next"}).status_code == 400
    assert snapshot(app, made) == ("open", False, None, None)


# --------------------------------------------------------------------------- 9. bad input


def workshop_form(client, **fields):
    data = {"csrf_token": organiser_token(client), "title": "Atelier du mardi",
            "territory": SCOPE, "questionnaire": "atelier", **fields}
    return client.post("/ateliers/nouveau", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("fields", [
    {"questionnaire": "inconnu"},
    {"questionnaire": ""},
    {"questionnaire": "citoyen", "sections": ["entreprise:fragilites"]},
    {"questionnaire": "citoyen", "sections": ["citoyen:regards", "elu:regards"]},
    {"questionnaire": "atelier", "sections": ["citoyen:regards"]},
    {"questionnaire": "citoyen", "sections": ["citoyen:nope"]},
    {"questionnaire": "citoyen", "sections": ["regards"]},
    {"title": ""},
    {"title": "x" * 201},
    {"territory": "commune:99999"},
    {"territory": "pays:FR"},
    {"territory": None},
], ids=str)
def test_a_tampered_workshop_form_is_refused(app, people, fields):
    client = people.clients["owner"]
    before = table_counts(app)
    answer = workshop_form(client, **fields)
    assert answer.status_code == 422, answer.status_code
    assert "Certaines réponses sont à vérifier" in plain(answer)
    assert table_counts(app) == before


def test_the_workshop_form_without_csrf_is_400(app, people):
    before = table_counts(app)
    answer = people.clients["owner"].post("/ateliers/nouveau", data={
        "title": "Atelier", "territory": SCOPE, "questionnaire": "atelier"})
    assert answer.status_code == 400
    assert table_counts(app) == before


def test_the_workshop_form_creates_what_was_asked(app, people):
    client = people.clients["owner"]
    answer = workshop_form(client, questionnaire="citoyen",
                           sections=["citoyen:regards", "citoyen:fragilites"],
                           step_mode="y", shared_devices="y")
    assert answer.status_code == 302
    public_id = urlsplit(answer.location).path.rsplit("/", 1)[1]
    with app.app_context():
        workshop = db.session.scalar(select(Workshop).where(Workshop.public_id == public_id))
        made = Made(workshop.id, public_id, workshop.code)
    state = state_of(app, made)
    assert state.questionnaire_id == "citoyen" and state.territory == SCOPE
    # In the questionnaire's order, whatever the order ticked.
    assert state.sections == ["fragilites", "regards"]
    assert state.step_mode is True and state.shared_devices is True
    assert state.current_question == "fragilite_education"
    plain_one = workshop_form(client, title="Atelier simple")
    with app.app_context():
        simple = db.session.scalar(select(Workshop).where(
            Workshop.public_id == urlsplit(plain_one.location).path.rsplit("/", 1)[1]))
        assert (simple.questionnaire_id, simple.sections, simple.step_mode,
                simple.shared_devices, simple.current_question) == (
            "atelier", None, False, False, None)


@pytest.mark.parametrize("data", [
    {"question": "nope"},
    {"question": ""},
    {},
    {"move": "sideways"},
    {"question": "fragilite_logement"},
    {"question": "x" * 5000},
], ids=str)
def test_an_unknown_question_for_the_room_is_400(app, people, data):
    made = make_workshop(app, people.ids["owner"])
    answer = people.clients["owner"].post(
        f"/ateliers/{made.public_id}/question",
        data={"csrf_token": organiser_token(people.clients["owner"]), **data})
    assert answer.status_code == 400
    assert state_of(app, made).current_question is None


def test_the_territory_is_not_a_question_of_the_room(app, people):
    made = make_workshop(app, people.ids["owner"], questionnaire="citoyen", sections=["regards"])
    answer = act(people.clients["owner"], made, "question", question="territoire")
    assert answer.status_code == 400
    assert state_of(app, made).current_question is None


@pytest.mark.parametrize(("question", "value", "status"), [
    ("acteur", "pirate", 422),
    ("acteur", None, 422),
    ("acteur", ["citoyen", "elu"], 422),
    ("conf_interlocuteurs", "7", 422),
    ("conf_interlocuteurs", "trois", 422),
    ("conf_interlocuteurs", ["3", "4"], 422),
    ("priorites", ["logement", "emploi", "sante", "mobilite"], 422),
    ("priorites", ["logement", "inconnu"], 422),
    ("priorites", ["logement", "logement"], 422),
    ("priorites", ["nsp", "logement"], 422),
    ("levier", "tout", 422),
    ("jouer_collectif", "x" * 10_000, 422),
], ids=str)
def test_a_tampered_answer_is_refused_and_nothing_is_stored(app, people, question, value, status):
    made = make_workshop(app, people.ids["owner"])
    phone = Phone(app, made.code)
    phone.join()
    if question != "acteur":
        phone.answer("acteur", "citoyen")
    (person,) = participants_of(app, made)
    before = answers_of(app, person.id)
    answer = phone.answer(question, value)
    assert answer.status_code == status
    assert "Cette réponse est à vérifier" in plain(answer)
    assert answers_of(app, person.id) == before


def test_other_tampered_participant_requests(app, people):
    made = make_workshop(app, people.ids["owner"], questionnaire="citoyen", sections=["regards"])
    phone = Phone(app, made.code)
    phone.join()
    (person,) = participants_of(app, made)
    before = answers_of(app, person.id)
    assert phone.answer("jouer_collectif", "utile", action="delete").status_code == 400
    assert phone.answer("jouer_collectif", "utile", csrf=False).status_code == 400
    # A question unknown, or of a section the workshop does not ask, or the territory.
    for question in ("nope", "fragilite_logement", "territoire", "x" * 300):
        assert phone.answer(question, "1").status_code == 404, question
        assert phone.client.get(f"{phone.base}/q/{question}").status_code == 404
    assert phone.client.post(f"/a/{made.code}", data={}).status_code == 400
    assert phone.client.post(f"{phone.base}/revoir", data={}).status_code == 400
    assert phone.client.get(f"/a/{made.code}/p/{'x' * 500}").status_code == 404
    assert answers_of(app, person.id) == before
    assert len(participants_of(app, made)) == 1


@pytest.mark.parametrize("typed", [
    "K" * 5000, "<script>alert(1)</script>", "ACDEFG" + " " * 30 + "HJ", "%00", "é" * 300])
def test_an_oversized_or_strange_code_is_a_404_with_the_form(app, people, typed):
    answer = app.test_client().get("/a", query_string={"code": typed})
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert 'name="code"' in body
    value = re.search(r'id="workshop-code" name="code"[^>]*value="([^"]*)"', body).group(1)
    assert len(html.unescape(value)) <= 20
    assert "<script>alert" not in body


@pytest.mark.parametrize("path", ["/a/" + "A" * 300, "/a/ACDEF", "/a/acdefg/etat.json",
                                  "/a/" + "A" * 300 + "/etat.json"])
def test_a_strange_code_in_the_address_is_404(app, people, path):
    assert app.test_client().get(path).status_code == 404


@pytest.mark.parametrize("campaign", ["", "x" * 500, "nope", "theirs"])
def test_attaching_to_a_campaign_one_may_not_see_is_400(app, people, campaign):
    made = make_workshop(app, people.ids["owner"])
    add_participant(app, made, C1)
    close(app, made)
    theirs = new_campaign(app, people.ids["other"])
    value = theirs.public_id if campaign == "theirs" else campaign
    answer = act(people.clients["owner"], made, "rattacher", campaign=value)
    assert answer.status_code == 400
    assert state_of(app, made).campaign_id is None
    assert counts_of(app, theirs) == {}


def test_every_workshop_url_with_figures_goes_through_the_shared_suppression(
        app, people, monkeypatch):
    from scoring import suppression

    made = make_workshop(app, people.ids["owner"])
    for answers in (C1, C2, C3, E1):
        add_participant(app, made, answers)
    calls = []
    original = suppression.protect

    def spy(n, value, min_size):
        calls.append(n)
        return original(n, value, min_size)

    monkeypatch.setattr(suppression, "protect", spy)
    owner = people.clients["owner"]
    urls = ["", "/projection", "/projection/direct", "/synthese", "/synthese?format=pdf",
            "/export.csv", "/export.xlsx"]
    for suffix in urls:
        calls.clear()
        answer = owner.get(f"/ateliers/{made.public_id}{suffix}")
        assert answer.status_code == 200, suffix
        assert calls, f"/ateliers/<id>{suffix} shows figures without scoring.suppression.protect"
    without = {"/ateliers/<public_id>/qr.<kind>"}
    rules = {re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", r"<\1>", rule.rule)
             for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/ateliers/<") and "GET" in rule.methods}
    covered = {f"/ateliers/<public_id>{suffix.split('?')[0]}".replace("export.csv",
                                                                       "export.<kind>")
               for suffix in urls}
    assert rules - covered - without == set()
