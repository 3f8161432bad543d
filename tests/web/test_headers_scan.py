"""A scan of every route: each GET route of `app.url_map`, its path filled in with real ids (a
campaign, a workshop and its participant, a response token, a territory…), is fetched by an
anonymous visitor, an organiser over HTTPS and an administrator, and every answer — HTML, JSON,
SVG, PNG, CSV, XLSX, PDF — carries the security headers. Every organiser URL (under /campagnes,
/ateliers, /compte, /admin, /api/v1/campaigns; GET and POST) sends an anonymous visitor to log in
(401 on the API) and gives another organiser 404, changing nothing.

A new route fails `test_every_route_is_scanned` until it is added to GET_URLS (or POST_URLS for
an organiser's POST)."""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, func, select
from werkzeug.exceptions import HTTPException

from diagnostic.extensions import db
from diagnostic.models import (
    Campaign,
    LoginAttempt,
    User,
    Workshop,
)
from diagnostic.registry import catalog
from diagnostic.services import accounts, campaigns, territories, workshops
from tests.answers import full_answers
from tests.conftest import Respondent, csrf_token, forget_organisers, sign_in

PASSWORD = "une phrase de passe pour le scan"
TITLE = "Campagne Balayage-Nord 2033"
WORKSHOP_TITLE = "Atelier Balayage-Sud"
TERRITORY = "epci:200046977"
HTTPS = "https://diagnostic.test"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Every GET route, with `{name}` for the ids of the fixture (`test_every_route_is_scanned`
#: checks none is missing, `any(…)` choices included).
GET_URLS = [
    "/",
    "/methode",
    "/langue/en",
    "/diagnostic/citoyen",
    "/static/css/app.css",
    "/static/js/app.js",
    "/static/img/logo.svg",
    "/connexion",
    "/compte",
    "/admin/utilisateurs",
    # a respondent's private link
    "/r/{open}",
    "/r/{open}/etape/1",
    "/r/{open}/pause",
    "/r/{done}",
    "/r/{done}/resultats",
    "/r/{done}/resultats.pdf",
    "/r/{done}/profil.svg",
    "/r/{done}/domaines.svg",
    "/reponses-supprimees",
    # a campaign
    "/c/{slug}",
    "/campagnes",
    "/campagnes/nouvelle",
    "/campagnes/{campaign}",
    "/campagnes/{campaign}/liens",
    "/campagnes/{campaign}/participation.svg",
    "/campagnes/{campaign}/regards.svg",
    "/campagnes/{campaign}/impacts.svg",
    "/campagnes/{campaign}/qr/citoyen.svg",
    "/campagnes/{campaign}/qr/citoyen.png",
    "/campagnes/{campaign}/export.csv",
    "/campagnes/{campaign}/export.xlsx",
    "/campagnes/{campaign}/rapport.pdf",
    # the territory explorer
    "/territoires",
    "/territoires?niveau=departement&domaine=logement",
    "/territoires/{territory}",
    "/territoires/region:84",
    "/territoires/departement:69",
    "/territoires/region:84/indices.svg",
    "/territoires/departement:69/regards.svg",
    "/territoires/departement:69/diagnostic?acteur=entreprise",
    "/territoires/comparer?t=region:84&t=departement:69",
    "/territoires/comparer.svg?t=region:84&t=departement:69",
    "/territoires/comparer.csv?t=region:84&t=departement:69",
    # a live workshop
    "/a",
    "/a?code={code}",
    "/a/{code}",
    "/a/{code}/etat.json",
    "/a/{code}/p/{participant}",
    "/a/{code}/p/{participant}/q/acteur",
    "/ateliers",
    "/ateliers/nouveau",
    "/ateliers/{workshop}",
    "/ateliers/{workshop}/projection",
    "/ateliers/{workshop}/projection/direct",
    "/ateliers/{workshop}/qr.svg",
    "/ateliers/{workshop}/qr.png",
    "/ateliers/{workshop}/export.csv",
    "/ateliers/{workshop}/export.xlsx",
    "/ateliers/{workshop}/synthese",
    "/ateliers/{workshop}/synthese?format=pdf",
    # the API
    "/api/v1/openapi.json",
    "/api/v1/questionnaires",
    "/api/v1/questionnaires/citoyen",
    "/api/v1/territories?q=lyon",
    "/api/v1/territories/{territory}",
    "/api/v1/results/{done}",
    "/api/v1/campaigns/{campaign}/summary",
    "/api/v1/territories/departement:69/perceived",
    "/api/v1/maps/regions.svg",
    "/api/v1/maps/departements.svg?domain=sante&current=69",
]
#: Every POST route of an organiser (the respondents' POSTs have tests of their own).
POST_URLS = [
    "/compte",
    "/admin/utilisateurs",
    "/admin/utilisateurs/{other_id}/activer",
    "/admin/utilisateurs/{other_id}/desactiver",
    "/campagnes/nouvelle",
    "/campagnes/{campaign}/ouvrir",
    "/campagnes/{campaign}/fermer",
    "/campagnes/{campaign}/supprimer",
    "/ateliers/nouveau",
    "/ateliers/{workshop}/ouvrir",
    "/ateliers/{workshop}/suspendre",
    "/ateliers/{workshop}/fermer",
    "/ateliers/{workshop}/reveler",
    "/ateliers/{workshop}/masquer",
    "/ateliers/{workshop}/question",
    "/ateliers/{workshop}/rattacher",
    "/ateliers/{workshop}/supprimer",
]
ORGANISER_PREFIXES = ("/campagnes", "/ateliers", "/compte", "/admin", "/api/v1/campaigns")
#: Never cached: private links, live figures, whatever is behind the organisers' login.
PRIVATE_PREFIXES = (*ORGANISER_PREFIXES, "/r/", "/a/", "/api/v1/results")
#: The policy of every HTML page: no inline script or style, nothing from elsewhere, no frame.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: What must be seen in the scan as the organiser.
MIMETYPES = {
    "text/html",
    "application/json",
    "image/svg+xml",
    "image/png",
    "text/csv",
    XLSX,
    "application/pdf",
}


@dataclass(frozen=True)
class World:
    ids: dict[str, str]
    user_ids: dict[str, int]
    clients: dict[str, object]


def log_in(client, email: str) -> None:
    sign_in(client, email, PASSWORD)




@pytest.fixture(scope="module")
def world(app):
    """An organiser with a campaign and a workshop, another organiser with a campaign of their
    own, an administrator; a logged-in client for each and an anonymous one."""
    emails = {
        role: f"scan-{role}-{uuid.uuid4().hex[:10]}@example.org"
        for role in ("owner", "other", "admin")
    }
    with app.app_context():
        users = {
            role: accounts.create_user(email, PASSWORD, "admin" if role == "admin" else "organiser")
            for role, email in emails.items()
        }
        scope = territories.get_territory(TERRITORY)
        campaign = campaigns.create_campaign(
            users["owner"], TITLE, scope, {"citoyen": "citoyen", "entreprise": "entreprise"}
        )
        campaigns.create_campaign(
            users["other"],
            "Campagne de l'autre",
            territories.get_territory("commune:38185"),
            {"citoyen": "citoyen"},
        )
        workshop = workshops.create_workshop(
            users["owner"], WORKSHOP_TITLE, scope, catalog().get("atelier")
        )
        ids = {
            "campaign": campaign.public_id,
            "slug": next(link.slug for link in campaign.links if link.actor == "citoyen"),
            "workshop": workshop.public_id,
            "code": workshop.code,
            "territory": "commune:69123",
        }
        user_ids = {role: user.id for role, user in users.items()}
    ids["other_id"] = str(user_ids["other"])
    clients = {"anonymous": app.test_client()}
    for role, email in emails.items():
        clients[role] = app.test_client()
        log_in(clients[role], email)
    yield World(ids, user_ids, clients)
    forget_organisers(app, list(user_ids.values()))
    with app.app_context():
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails.values())))
        db.session.execute(delete(User).where(User.id.in_(user_ids.values())))
        db.session.commit()


@pytest.fixture
def ids(app, client, world) -> dict[str, str]:
    """The fixture's ids with tokens of responses made for this test (responses are emptied
    after each test): a completed one, one in progress, a workshop participant."""
    with app.app_context():
        questionnaire = catalog().get("citoyen")
    created = client.post(
        "/api/v1/responses",
        json={
            "questionnaire": "citoyen",
            "territory": "commune:69123",
            "answers": full_answers(questionnaire),
        },
    )
    assert created.status_code == 201, created.get_json()
    in_progress = Respondent(app.test_client()).start("citoyen")
    with app.app_context():
        workshop = db.session.scalar(
            select(Workshop).where(Workshop.public_id == world.ids["workshop"])
        )
        _, participant = workshops.join(
            workshop, workshops.questionnaire_of(workshop, catalog()), "fr"
        )
    return {
        **world.ids,
        "done": created.get_json()["token"],
        "open": in_progress,
        "participant": participant,
    }


def routed(app, method: str, url: str) -> bool:
    """Whether a route answers `method` at `url` (a route listed here may land after the list)."""
    try:
        app.url_map.bind("diagnostic.test").match(urlsplit(url).path, method=method)
    except HTTPException:
        return False
    return True


def urls(app, templates: list[str], ids: dict[str, str], method: str = "GET") -> list[str]:
    filled = [template.format(**ids) for template in templates]
    return [url for url in filled if routed(app, method, url)]


def is_organiser(url: str) -> bool:
    return urlsplit(url).path.startswith(ORGANISER_PREFIXES)


def is_owned(url: str) -> bool:
    """Reaches one organiser's campaign or workshop, or the administration."""
    path = urlsplit(url).path
    return path.startswith("/admin") or bool(
        re.match(r"/(campagnes|ateliers|api/v1/campaigns)/(?!nouve)[^/]+", path)
    )


def csp_directives(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def header_problems(url: str, answer, secure: bool, logged_in: bool) -> list[str]:
    """What is wrong with the security headers of `answer`, in words."""
    problems = []
    headers = answer.headers
    path = urlsplit(url).path
    policy = headers.get("Content-Security-Policy")
    if policy is None:
        problems.append("no Content-Security-Policy")
    elif answer.mimetype == "text/html":
        if policy != CSP:
            problems.append(f"CSP {policy!r}")
    else:
        # An SVG chart opened on its own may style inline; nothing may run a script.
        directives = csp_directives(policy)
        expected = {
            "default-src": "'self'",
            "script-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
        if answer.mimetype != "image/svg+xml":
            expected["style-src"] = "'self'"
        for name, value in expected.items():
            if directives.get(name) != value:
                problems.append(f"CSP {name} {directives.get(name)!r}")
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ):
        if headers.get(name) != value:
            problems.append(f"{name}: {headers.get(name)!r}")
    hsts = headers.get("Strict-Transport-Security")
    if secure and not (hsts and hsts.startswith("max-age=") and int(hsts[8:].split(";")[0]) > 0):
        problems.append(f"Strict-Transport-Security over HTTPS: {hsts!r}")
    if not secure and hsts is not None:
        problems.append("Strict-Transport-Security over HTTP")
    private = path.startswith(PRIVATE_PREFIXES) or (logged_in and not path.startswith("/static"))
    if private and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')!r}")
    return problems


def post_data(client, url: str, ids: dict[str, str]) -> dict[str, str]:
    """A CSRF token of the client's session, and what the form would send."""
    page = client.get("/connexion")
    if page.status_code == 302:  # logged in
        page = client.get("/campagnes/nouvelle")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))}
    if url.endswith("/question"):
        data["move"] = "next"
    if url.endswith("/rattacher"):
        data["campaign"] = ids["campaign"]
    return data


def snapshot(app, world: World) -> tuple:
    """What an organiser's POST could change."""
    with app.app_context():
        db.session.expire_all()
        campaign = db.session.scalar(
            select(Campaign).where(Campaign.public_id == world.ids["campaign"])
        )
        workshop = db.session.scalar(
            select(Workshop).where(Workshop.public_id == world.ids["workshop"])
        )
        users = db.session.scalars(
            select(User).where(User.id.in_(world.user_ids.values())).order_by(User.id)
        ).all()
        return (
            campaign.status,
            campaign.closed_at,
            workshop.status,
            workshop.revealed,
            workshop.current_question,
            workshop.campaign_id,
            db.session.scalar(select(func.count()).select_from(Campaign)),
            db.session.scalar(select(func.count()).select_from(Workshop)),
            [(user.active, user.name, user.password_hash, user.api_token_hash) for user in users],
        )


# --------------------------------------------------------------------------- the walk


def test_every_route_is_scanned(app, world):
    """Each GET route, each organiser POST, each `any(…)` choice is reached by a URL above."""
    adapter = app.url_map.bind("diagnostic.test")
    values = {**world.ids, "done": "t" * 20, "open": "t" * 20, "participant": "p" * 20}
    reached: set[tuple[str, str, tuple]] = set()
    for method, templates in (("GET", GET_URLS), ("POST", POST_URLS)):
        for url in urls(app, templates, values, method):
            rule, arguments = adapter.match(urlsplit(url).path, method=method, return_rule=True)
            choices = tuple(
                arguments[name] for name in re.findall(r"<any\([^)]*\):(\w+)>", rule.rule)
            )
            reached.add((method, rule.rule, choices))
    missing = []
    for rule in app.url_map.iter_rules():
        options = [
            [item.strip().strip("'\"") for item in items.split(",")]
            for items in re.findall(r"<any\(([^)]*)\):\w+>", rule.rule)
        ]
        methods = {"GET"} & rule.methods
        if rule.rule.startswith(ORGANISER_PREFIXES):
            methods = rule.methods - {"HEAD", "OPTIONS"}
        for method in sorted(methods):
            for choice in itertools.product(*options):
                if (method, rule.rule, choice) not in reached:
                    missing.append(f"{method} {rule.rule} {choice}")
    assert not missing, f"routes missing from GET_URLS / POST_URLS: {missing}"


@pytest.mark.parametrize(
    ("role", "secure"), [("anonymous", False), ("owner", True), ("admin", False)]
)
def test_every_answer_carries_the_security_headers(app, world, ids, role, secure):
    client = world.clients[role]
    problems = []
    seen = set()
    for url in urls(app, GET_URLS, ids):
        answer = client.get(url, base_url=HTTPS if secure else "http://diagnostic.test")
        answer.close()  # static files are sent from an open file
        seen.add(answer.mimetype)
        if answer.status_code >= 500:
            problems.append(f"{url}: {answer.status_code}")
        problems += [
            f"{url} ({answer.status_code} {answer.mimetype}): {problem}"
            for problem in header_problems(url, answer, secure, role != "anonymous")
        ]
    assert not problems, "\n".join(problems)
    if role == "owner":
        assert seen >= MIMETYPES, seen


def test_error_answers_carry_them_too(app, client):
    """404, 405 and the API's JSON errors carry them too."""
    for url, method, status in (
        ("/nulle-part", "GET", 404),
        ("/api/v1/nulle-part", "GET", 404),
        ("/methode", "POST", 405),
        ("/api/v1/results/" + "x" * 20, "GET", 404),
    ):
        answer = client.open(url, method=method)
        assert answer.status_code == status
        assert not header_problems(url, answer, False, False), url


# --------------------------------------------------------------------------- who reaches what


def organiser_targets(app, ids: dict[str, str]) -> list[tuple[str, str]]:
    return [("GET", url) for url in urls(app, GET_URLS, ids) if is_organiser(url)] + [
        ("POST", url) for url in urls(app, POST_URLS, ids, "POST")
    ]


def test_anonymous_visitors_are_sent_to_log_in(app, world, ids):
    client = app.test_client()
    before = snapshot(app, world)
    problems = []
    for method, url in organiser_targets(app, ids):
        if method == "GET":
            answer = client.get(url)
        else:
            answer = client.post(url, data=post_data(client, url, ids))
        body = answer.get_data(as_text=True)
        if url.startswith("/api/"):
            if answer.status_code != 401 or set(answer.get_json() or {}) != {"error", "details"}:
                problems.append(f"{method} {url}: {answer.status_code}")
        else:
            location = urlsplit(answer.location or "")
            expected_next = urlsplit(url).path + (f"?{urlsplit(url).query}" if "?" in url else "")
            if (
                answer.status_code != 302
                or location.path != "/connexion"
                or parse_qs(location.query).get("next") != [expected_next]
            ):
                problems.append(f"{method} {url}: {answer.status_code} {answer.location}")
        if TITLE in body or WORKSHOP_TITLE in body:
            problems.append(f"{method} {url}: shows the organiser's title")
    assert not problems, "\n".join(problems)
    assert snapshot(app, world) == before


def test_another_organiser_gets_404(app, world, ids):
    client = world.clients["other"]
    before = snapshot(app, world)
    problems = []
    for method, url in organiser_targets(app, ids):
        if not is_owned(url):
            if method == "GET":  # their own list, form or account: nothing of the owner's
                answer = client.get(url)
                body = answer.get_data(as_text=True)
                if answer.status_code != 200 or TITLE in body or WORKSHOP_TITLE in body:
                    problems.append(f"{method} {url}: {answer.status_code}")
            continue
        if method == "GET":
            answer = client.get(url)
        else:
            answer = client.post(url, data=post_data(client, url, ids))
        body = answer.get_data(as_text=True)
        if answer.status_code != 404 or TITLE in body or WORKSHOP_TITLE in body:
            problems.append(f"{method} {url}: {answer.status_code}")
        if url.startswith("/api/") and set(answer.get_json() or {}) != {"error", "details"}:
            problems.append(f"{method} {url}: not a JSON error")
    assert not problems, "\n".join(problems)
    assert snapshot(app, world) == before
