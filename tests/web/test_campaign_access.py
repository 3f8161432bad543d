"""Who reaches a campaign: every campaign URL for an anonymous visitor, another organiser, the
owner and an administrator; the campaign list; the public links respondents answer through."""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, select, update

from diagnostic.extensions import db
from diagnostic.models import (
    Campaign,
    CampaignLink,
    CampaignScore,
    CampaignStat,
    LoginAttempt,
    Response,
    User,
)
from diagnostic.services import accounts, campaigns, territories

PASSWORD = "a long enough password"
TITLE = "Campagne Rhone-Est 2031"
OTHER_TITLE = "Campagne Isere-Sud 2032"
UNKNOWN_ID = "0123456789ab"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Target:
    method: str
    #: `{id}` stands for the campaign's public id.
    path: str
    #: What the owner gets (GET), or None for a POST (a redirect).
    mimetype: str | None = None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def url(self, public_id: str) -> str:
        return self.path.format(id=public_id)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


#: Every URL of a campaign but its public links (the test below checks none is missing).
TARGETS = [
    Target("GET", "/campagnes/{id}", "text/html"),
    Target("GET", "/campagnes/{id}/liens", "text/html"),
    Target("GET", "/campagnes/{id}/participation.svg", "image/svg+xml"),
    Target("GET", "/campagnes/{id}/regards.svg", "image/svg+xml"),
    Target("GET", "/campagnes/{id}/impacts.svg", "image/svg+xml"),
    Target("GET", "/campagnes/{id}/qr/citoyen.svg", "image/svg+xml"),
    Target("GET", "/campagnes/{id}/qr/citoyen.png", "image/png"),
    Target("GET", "/campagnes/{id}/export.csv", "text/csv"),
    Target("GET", "/campagnes/{id}/export.xlsx", XLSX),
    Target("GET", "/campagnes/{id}/rapport.pdf", "application/pdf"),
    Target("POST", "/campagnes/{id}/fermer"),
    Target("POST", "/campagnes/{id}/ouvrir"),
    Target("POST", "/campagnes/{id}/supprimer"),
    Target("GET", "/api/v1/campaigns/{id}/summary", "application/json"),
]
#: Rules that must all be in TARGETS.
GUARDED_PREFIXES = ("/campagnes/<", "/api/v1/campaigns")


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class World:
    """The accounts and campaigns, and a logged-in client per account."""

    public_id: str
    campaign_id: int
    slugs: dict[str, str]
    other_public_id: str
    clients: dict[str, object]
    user_ids: dict[str, int]


def form_token(html: str, name: str = "csrf_token") -> str:
    """The value of the hidden CSRF input called `name`, whatever the order of its attributes."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]+)"', tag)
            assert value, tag
            return value.group(1)
    raise AssertionError(f"no input {name} in the page")


def login(client, email: str, password: str):
    page = client.get("/connexion")
    assert page.status_code == 200
    return client.post(
        "/connexion",
        data={
            "csrf_token": form_token(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        },
    )


def forget_accounts(app) -> None:
    with app.app_context():
        db.session.rollback()
        db.session.execute(update(Response).values(campaign_id=None))
        for model in (CampaignStat, CampaignScore, CampaignLink, Campaign, LoginAttempt, User):
            db.session.execute(delete(model))
        db.session.commit()


@pytest.fixture(scope="module")
def world(app):
    """An owner organiser with a campaign on the Métropole de Lyon, another organiser with a
    campaign of their own, an administrator. Made once per database (creating accounts hashes
    passwords, which is slow on purpose); `_fresh_campaign` puts the campaign back after each
    test and everything is deleted after the module."""
    emails = {
        role: f"{role}-{uuid.uuid4().hex[:10]}@example.org" for role in ("owner", "other", "admin")
    }
    with app.app_context():
        users = {
            role: accounts.create_user(email, PASSWORD, "admin" if role == "admin" else "organiser")
            for role, email in emails.items()
        }
        metropole = territories.get_territory("epci:200046977")
        campaign = campaigns.create_campaign(
            users["owner"], TITLE, metropole, {"citoyen": "citoyen", "entreprise": "entreprise"}
        )
        other = campaigns.create_campaign(
            users["other"],
            OTHER_TITLE,
            territories.get_territory("commune:38185"),
            {"citoyen": "citoyen"},
        )
        values = {
            "public_id": campaign.public_id,
            "campaign_id": campaign.id,
            "slugs": {link.actor: link.slug for link in campaign.links},
            "other_public_id": other.public_id,
            "user_ids": {role: user.id for role, user in users.items()},
        }
    clients = {}
    for role, email in emails.items():
        clients[role] = app.test_client()
        assert login(clients[role], email, PASSWORD).status_code == 302
    yield World(clients=clients, **values)
    forget_accounts(app)


@pytest.fixture(autouse=True)
def _fresh_campaign(app, world):
    """Each test starts with the campaign open and no login attempt recorded."""
    yield
    with app.app_context():
        db.session.rollback()
        db.session.execute(update(Campaign).values(status="open", closed_at=None))
        db.session.execute(delete(LoginAttempt))
        db.session.commit()


def status_of(app, public_id: str) -> str:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(Campaign.status).where(Campaign.public_id == public_id))


def set_status(app, public_id: str, status: str) -> None:
    with app.app_context():
        db.session.execute(
            update(Campaign).where(Campaign.public_id == public_id).values(status=status)
        )
        db.session.commit()


def page_token(client) -> str:
    """A CSRF token of the client's session, from a page it may see."""
    page = client.get("/connexion")
    if page.status_code == 302:  # logged in
        page = client.get("/campagnes")
    assert page.status_code == 200, page.status_code
    return form_token(page.get_data(as_text=True))


def request(client, target: Target, public_id: str):
    if target.method == "POST":
        return client.post(target.url(public_id), data={"csrf_token": page_token(client)})
    return client.get(target.url(public_id))


def is_login_redirect(answer, next_: str) -> bool:
    if answer.status_code != 302:
        return False
    location = urlsplit(answer.location)
    return location.path == "/connexion" and parse_qs(location.query).get("next") == [next_]


def assert_json_error(answer, status: int) -> None:
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    assert set(answer.get_json()) == {"error", "details"}


TARGET_IDS = [str(target) for target in TARGETS]
GET_TARGETS = [target for target in TARGETS if target.method == "GET"]


# --------------------------------------------------------------------------- the URL list


def test_every_campaign_route_is_in_the_url_list(app):
    """A new campaign route cannot escape the access checks: add it to TARGETS."""
    adapter = app.url_map.bind("diagnostic.test")
    reached: dict[tuple[str, str], set[tuple[str, ...]]] = {}
    for target in TARGETS:
        rule, values = adapter.match(target.url(UNKNOWN_ID), method=target.method, return_rule=True)
        options = tuple(values[name] for name in re.findall(r"<any\([^)]*\):(\w+)>", rule.rule))
        reached.setdefault((rule.rule, target.method), set()).add(options)
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(GUARDED_PREFIXES):
            continue
        choices = [
            [item.strip().strip("'\"") for item in items.split(",")]
            for items in re.findall(r"<any\(([^)]*)\):\w+>", rule.rule)
        ]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for options in itertools.product(*choices):
                if options not in reached.get((rule.rule, method), set()):
                    missing.append(f"{method} {rule.rule} {options}")
    assert not missing, f"campaign routes missing from TARGETS: {missing}"


# --------------------------------------------------------------------------- every URL


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_anonymous_visitors_are_sent_to_log_in(app, world, target):
    answer = request(app.test_client(), target, world.public_id)
    if target.is_api:
        assert_json_error(answer, 401)
    else:
        assert is_login_redirect(answer, target.url(world.public_id)), (
            answer.status_code,
            answer.location,
        )
    assert TITLE not in answer.get_data(as_text=True)
    assert status_of(app, world.public_id) == "open"


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_another_organiser_gets_404(app, world, target):
    if target.path.endswith("/ouvrir"):
        set_status(app, world.public_id, "closed")
    before = status_of(app, world.public_id)
    answer = request(world.clients["other"], target, world.public_id)
    assert answer.status_code == 404
    if target.is_api:
        assert_json_error(answer, 404)
    body = answer.get_data(as_text=True)
    assert TITLE not in body
    assert not any(slug in body for slug in world.slugs.values())
    assert status_of(app, world.public_id) == before


@pytest.mark.parametrize("target", GET_TARGETS, ids=str)
def test_another_organiser_gets_404_whatever_the_filters(app, world, target):
    """The access check comes before the filters: a wrong filter says nothing either."""
    url = target.url(world.public_id) + "?acteur=inconnu&lieu=commune:75056&actor=inconnu"
    answer = world.clients["other"].get(url)
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/campagnes/{id}?acteur=elu",
        "/campagnes/{id}?lieu=commune:75056",
        "/campagnes/{id}/regards.svg?acteur=elu",
        "/api/v1/campaigns/{id}/summary?actor=elu",
    ],
)
def test_a_filter_outside_the_campaign_is_a_400_for_the_owner(world, path):
    """The same filters that another organiser's 404 hides."""
    answer = world.clients["owner"].get(path.format(id=world.public_id))
    assert answer.status_code == 400


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_the_owner_and_administrators_reach_the_campaign(app, world, target, role):
    if target.path.endswith("/ouvrir"):
        set_status(app, world.public_id, "closed")
    answer = request(world.clients[role], target, world.public_id)
    if target.path.endswith("/supprimer"):
        # Without « confirmer »: the page asking to confirm, nothing deleted (test_privacy.py
        # deletes).
        assert answer.status_code == 200
        assert TITLE in answer.get_data(as_text=True)
        assert status_of(app, world.public_id) == "open"
        return
    if target.method == "POST":
        assert answer.status_code == 302
        assert urlsplit(answer.location).path == f"/campagnes/{world.public_id}"
        expected = "open" if target.path.endswith("/ouvrir") else "closed"
        assert status_of(app, world.public_id) == expected
        return
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == target.mimetype
    data = answer.get_data()
    if target.mimetype == "text/html":
        assert TITLE in answer.get_data(as_text=True)
    elif target.mimetype == "application/json":
        assert answer.get_json()["id"] == world.public_id
    elif target.mimetype == "application/pdf":
        assert data.startswith(b"%PDF")
    elif target.mimetype == "image/png":
        assert data.startswith(b"\x89PNG")
    elif target.mimetype == XLSX:
        assert data.startswith(b"PK")
    elif target.mimetype == "image/svg+xml":
        assert b"<svg" in data


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_an_unknown_campaign_is_404(app, world, target, role):
    answer = request(world.clients[role], target, UNKNOWN_ID)
    assert answer.status_code == 404
    if target.is_api:
        assert_json_error(answer, 404)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_a_qr_code_for_an_actor_type_outside_the_campaign_is_404(world, role):
    for kind in ("svg", "png"):
        answer = world.clients[role].get(f"/campagnes/{world.public_id}/qr/elu.{kind}")
        assert answer.status_code == 404


def test_status_changes_need_csrf_and_post(app, world):
    client = world.clients["owner"]
    for action in ("fermer", "ouvrir"):
        url = f"/campagnes/{world.public_id}/{action}"
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 400
    assert status_of(app, world.public_id) == "open"


def test_after_logging_in_the_owner_is_sent_back_to_the_page(app, world):
    client = app.test_client()
    dashboard = f"/campagnes/{world.public_id}/liens"
    sent = client.get(dashboard)
    assert is_login_redirect(sent, dashboard)
    with app.app_context():
        email = db.session.get(User, world.user_ids["owner"]).email
    page = client.get(sent.location)
    answer = client.post(
        sent.location,
        data={
            "csrf_token": form_token(page.get_data(as_text=True)),
            "email": email,
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 302
    assert urlsplit(answer.location).path == dashboard
    assert client.get(answer.location).status_code == 200


# --------------------------------------------------------------------------- the list


def campaign_links(html: str) -> set[str]:
    return set(re.findall(r'href="/campagnes/([0-9a-f]{12})"', html))


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("owner", {"mine"}),
        ("other", {"theirs"}),
        ("admin", {"mine", "theirs"}),
    ],
)
def test_the_list_shows_the_campaigns_one_may_see(world, role, sees):
    page = world.clients[role].get("/campagnes")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    ids = {"mine": world.public_id, "theirs": world.other_public_id}
    assert campaign_links(html) == {ids[name] for name in sees}
    titles = {"mine": TITLE, "theirs": OTHER_TITLE}
    for name, title in titles.items():
        assert (title in html) is (name in sees)


def test_the_list_needs_login(app):
    assert is_login_redirect(app.test_client().get("/campagnes"), "/campagnes")


def test_a_new_campaign_needs_login(app, world):
    client = app.test_client()
    assert is_login_redirect(client.get("/campagnes/nouvelle"), "/campagnes/nouvelle")
    answer = client.post(
        "/campagnes/nouvelle",
        data={"csrf_token": page_token(client), "title": "Intrus", "territory": "commune:69123"},
    )
    assert is_login_redirect(answer, "/campagnes/nouvelle")
    with app.app_context():
        assert db.session.scalar(select(Campaign).where(Campaign.title == "Intrus")) is None
    assert world.clients["other"].get("/campagnes/nouvelle").status_code == 200


# --------------------------------------------------------------------------- public links


def start(client, slug: str):
    page = client.get(f"/c/{slug}")
    assert page.status_code == 200
    return client.post(f"/c/{slug}", data={"csrf_token": form_token(page.get_data(as_text=True))})


def close(world, action: str = "fermer") -> None:
    owner = world.clients["owner"]
    answer = owner.post(
        f"/campagnes/{world.public_id}/{action}", data={"csrf_token": page_token(owner)}
    )
    assert answer.status_code == 302


@pytest.mark.parametrize("actor", ["citoyen", "entreprise"])
def test_the_public_link_is_open_to_anonymous_visitors(app, world, actor):
    page = app.test_client().get(f"/c/{world.slugs[actor]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert TITLE in html
    form_token(html)


@pytest.mark.parametrize("actor", ["citoyen", "entreprise"])
def test_the_public_link_starts_a_response_of_the_campaign(app, world, actor, db_counts):
    client = app.test_client()
    answer = start(client, world.slugs[actor])
    assert answer.status_code == 302
    match = re.fullmatch(r"/r/([^/]+)/etape/1", urlsplit(answer.location).path)
    assert match, answer.location
    assert match.group(1) not in world.slugs.values()
    with app.app_context():
        rows = db.session.execute(
            select(Response.campaign_id, Response.questionnaire_id, Response.actor)
        ).all()
    assert [tuple(row) for row in rows] == [(world.campaign_id, actor, actor)]
    assert client.get(answer.location).status_code == 200


def test_the_public_link_needs_csrf(app, world, db_counts):
    before = db_counts()
    assert app.test_client().post(f"/c/{world.slugs['citoyen']}").status_code == 400
    assert db_counts() == before


def test_a_closed_campaign_takes_no_answer(app, world, db_counts):
    respondent = app.test_client()
    started = start(respondent, world.slugs["citoyen"])
    section = urlsplit(started.location).path
    assert respondent.get(section).status_code == 200
    token = form_token(respondent.get(f"/c/{world.slugs['entreprise']}").get_data(as_text=True))

    close(world)
    assert status_of(app, world.public_id) == "closed"
    before = db_counts()
    for slug in world.slugs.values():
        assert app.test_client().get(f"/c/{slug}").status_code == 410
    assert (
        respondent.post(f"/c/{world.slugs['entreprise']}", data={"csrf_token": token}).status_code
        == 410
    )
    assert respondent.get(section).status_code == 410
    assert respondent.post(section, data={"csrf_token": token, "action": "next"}).status_code == 410
    assert db_counts() == before

    close(world, "ouvrir")
    assert app.test_client().get(f"/c/{world.slugs['citoyen']}").status_code == 200
    assert respondent.get(section).status_code == 200


@pytest.mark.parametrize("slug", ["inconnu", "x" * 25, "x" * 200])
def test_an_unknown_public_link_is_404(app, world, slug):
    client = app.test_client()
    assert client.get(f"/c/{slug}").status_code == 404
    assert client.post(f"/c/{slug}", data={"csrf_token": page_token(client)}).status_code == 404
