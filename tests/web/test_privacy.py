"""Privacy: no address or browser is stored with answers; a respondent deletes their own answers
with their private link; an organiser deletes a campaign or a workshop with all its responses;
responses past RETENTION_DAYS are purged. Every aggregate follows: figures by hand, and the
counts kept step by step equal to a recount from scratch.

Companies' confiance scores (no partnerships: five items, each 0 or 100): 20 × the items at 100.
Five companies in Paris score 20, 40, 60, 60, 80 and one in Lyon 60: the national group of the
one in Lyon is [20, 40, 60, 60, 60, 80], percentile 100 × (2 + 3/2) / 6 = 58.3, median 60,
q1 45, q3 60. Without the 20: [40, 60, 60, 60, 80], percentile 100 × (1 + 3/2) / 5 = 50, median,
q1 and q3 60.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import MetaData, Table, delete, func, inspect, select, update

from diagnostic.extensions import db
from diagnostic.models import (
    Answer,
    BenchmarkGroup,
    Campaign,
    CampaignLink,
    CampaignScore,
    CampaignStat,
    LoginAttempt,
    Response,
    ResponseScore,
    ScoreDistribution,
    User,
    Workshop,
)
from diagnostic.registry import catalog
from diagnostic.services import (
    accounts,
    benchmarks,
    campaigns,
    privacy,
    responses,
    territories,
    workshops,
)
from questionnaires import check_answers
from tests.answers import as_form, full_answers
from tests.conftest import Respondent, csrf_token, forget_organisers, sign_in

PASSWORD = "un mot de passe pour la confidentialite"
SCOPE = "epci:200046977"
NORMAL = ("conf_interlocuteurs", "conf_associations", "conf_vision_partagee")
REVERSED = ("conf_mefiance", "conf_chacun_pour_soi")
PROBES = {
    "HTTP_X_FORWARDED_FOR": "203.0.113.77, 198.51.100.9",
    "HTTP_X_REAL_IP": "203.0.113.78",
    "HTTP_USER_AGENT": "SondeConfidentialite/4.2 (X11; Linux x86_64) Gecko/20100101",
    "REMOTE_ADDR": "192.0.2.44",
}


# --------------------------------------------------------------------------- helpers


def confiance_answers(high: int) -> dict:
    answers = {"partenariats": "non"}
    for position, item in enumerate(NORMAL + REVERSED):
        good = position < high
        answers[item] = (4 if good else 1) if item in NORMAL else (1 if good else 4)
    return answers


def complete(app, territory: str, answers: dict, questionnaire: str = "entreprise"
             ) -> tuple[int, str]:
    """A completed response outside any campaign: (id, private token)."""
    with app.app_context():
        definition = catalog().get(questionnaire)
        checked, errors = check_answers(definition, answers)
        assert not errors, errors
        response, token, _scores = responses.create_completed_response(
            definition, territories.get_territory(territory), checked, "fr")
        return response.id, token


def respond(app, campaign_id: int, commune: str, complete_it: bool = True) -> tuple[int, str]:
    """A citizen answering through a campaign, section by section, completed (or not)."""
    with app.app_context():
        definition = catalog().get("citoyen")
        checked, errors = check_answers(definition, full_answers(definition, f"commune:{commune}"))
        assert not errors, errors
        response, token = responses.start_response(definition, "fr", campaign_id)
        for index, section in enumerate(definition.sections):
            mine = {q.id: checked[q.id] for q in section.questions if q.id in checked}
            place = territories.get_territory(mine["territoire"]) if "territoire" in mine else None
            responses.save_section(response, definition, section, mine, place, index + 1)
            if not complete_it:
                break
        if complete_it:
            responses.complete_response(response, definition)
        return response.id, token


def national(app, token: str, axis: str = "confiance") -> dict:
    """Where a response stands in the country on `axis` (as its results page says)."""
    with app.app_context():
        response = responses.find_response(token)
        scores = {score.axis: score.score for score in response.scores}
        found, _groups = benchmarks.benchmarks_for(
            response, scores, [axis], app.config["MIN_GROUP_SIZE"])
        return found[axis].national.as_dict()


def group_sizes(app) -> dict[tuple[str, str, str], int]:
    with app.app_context():
        db.session.expire_all()
        return {(row.questionnaire_id, row.actor, row.region_code): row.responses
                for row in db.session.scalars(select(BenchmarkGroup))}


def distributions(app) -> tuple[list, list]:
    """Every histogram row and every group, as stored."""
    with app.app_context():
        db.session.expire_all()
        histograms = sorted(tuple(row) for row in db.session.execute(select(
            ScoreDistribution.questionnaire_id, ScoreDistribution.actor,
            ScoreDistribution.region_code, ScoreDistribution.axis, ScoreDistribution.score_key,
            ScoreDistribution.count)))
        groups = sorted(
            (row.questionnaire_id, row.actor, row.region_code, row.responses,
             row.first_at.replace(tzinfo=None), row.last_at.replace(tzinfo=None))
            for row in db.session.scalars(select(BenchmarkGroup)))
        return histograms, groups


def assert_distributions_as_recounted(app) -> None:
    """The histograms kept step by step are those a recount from the responses gives."""
    kept = distributions(app)
    with app.app_context():
        benchmarks.rebuild_distributions()
    assert kept == distributions(app)


def campaign_rows(app, campaign_id: int) -> tuple[list, list]:
    with app.app_context():
        db.session.expire_all()
        stats = sorted((row.commune_code, row.actor, row.metric, row.count, round(row.total, 6))
                       for row in db.session.scalars(
                           select(CampaignStat).where(CampaignStat.campaign_id == campaign_id)))
        scores = sorted((row.commune_code, row.actor, row.axis, row.score_key, row.count)
                        for row in db.session.scalars(
                            select(CampaignScore).where(CampaignScore.campaign_id == campaign_id)))
        return stats, scores


def assert_counts_as_recounted(app, campaign_id: int) -> None:
    kept = campaign_rows(app, campaign_id)
    assert all(row[3] > 0 for row in kept[0]) and all(row[4] > 0 for row in kept[1])
    with app.app_context():
        campaigns.rebuild_counts(db.session.get(Campaign, campaign_id), catalog())
    assert kept == campaign_rows(app, campaign_id)


def responses_of(app, campaign_id: int) -> dict[str, int]:
    """The dashboard's responses per actor type (`campaigns.summary`)."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        return campaigns.summary(campaign, campaigns.Filters(), catalog(),
                                 app.config["MIN_GROUP_SIZE"]).responses


def revision_of(app, campaign_id: int) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.get(Campaign, campaign_id).revision


def rows_of(app, response_ids) -> dict[str, int]:
    """Rows left of these responses in each response table."""
    ids = list(response_ids)
    with app.app_context():
        db.session.expire_all()
        return {
            "response": db.session.scalar(
                select(func.count()).select_from(Response).where(Response.id.in_(ids))),
            "answer": db.session.scalar(
                select(func.count()).select_from(Answer).where(Answer.response_id.in_(ids))),
            "response_score": db.session.scalar(
                select(func.count()).select_from(ResponseScore)
                .where(ResponseScore.response_id.in_(ids))),
        }


GONE = {"response": 0, "answer": 0, "response_score": 0}


def all_response_ids(app) -> set[int]:
    with app.app_context():
        db.session.expire_all()
        return set(db.session.scalars(select(Response.id)))


def plain(answer) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def is_login_redirect(answer, next_: str) -> bool:
    if answer.status_code != 302:
        return False
    location = urlsplit(answer.location)
    return location.path == "/connexion" and parse_qs(location.query).get("next") == [next_]


def delete_through_the_link(client, token: str, page: str = "resultats"):
    """Press « Supprimer mes réponses » on the results (or pause) page, then confirm."""
    shown = client.get(f"/r/{token}/{page}")
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert f'action="/r/{token}/supprimer"' in body
    assert "Supprimer mes réponses" in plain(shown)
    asked = client.post(f"/r/{token}/supprimer", data={"csrf_token": csrf_token(body)})
    assert asked.status_code == 200
    assert "Supprimer vos réponses ?" in plain(asked)
    assert responses_exist(client.application, token)
    done = client.post(f"/r/{token}/supprimer", data={
        "csrf_token": csrf_token(asked.get_data(as_text=True)), "confirmer": "oui"})
    assert done.status_code == 303
    assert urlsplit(done.location).path == "/reponses-supprimees"
    return done


def responses_exist(app, token: str) -> bool:
    with app.app_context():
        return responses.find_response(token) is not None


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class People:
    ids: dict[str, int]
    clients: dict[str, object]


def log_in(client, email: str) -> None:
    sign_in(client, email, PASSWORD)




@pytest.fixture(scope="module")
def people(app):
    emails = {role: f"vie-privee-{role}-{uuid.uuid4().hex[:10]}@example.org"
              for role in ("owner", "other")}
    with app.app_context():
        ids = {role: accounts.create_user(email, PASSWORD).id for role, email in emails.items()}
    clients = {}
    for role, email in emails.items():
        clients[role] = app.test_client()
        log_in(clients[role], email)
    yield People(ids, clients)
    forget_organisers(app, list(ids.values()))
    with app.app_context():
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails.values())))
        db.session.execute(delete(User).where(User.id.in_(ids.values())))
        db.session.commit()


@pytest.fixture
def owned(app, people):
    """Campaigns and workshops made by a test are deleted after it."""
    yield
    forget_organisers(app, list(people.ids.values()))


def new_campaign(app, owner_id: int, links=None) -> tuple[int, str]:
    with app.app_context():
        campaign = campaigns.create_campaign(
            db.session.get(User, owner_id), "Diagnostic confidentiel de la Métropole",
            territories.get_territory(SCOPE), links or {"citoyen": "citoyen"})
        return campaign.id, campaign.public_id


def new_workshop(app, owner_id: int, participants: list[dict]
                 ) -> tuple[int, str, list[tuple[int, str]]]:
    """A workshop of the short questionnaire, its participants' answers given, then closed;
    returns its id, public id and its participants (response id, private token)."""
    with app.app_context():
        definition = catalog().get("atelier")
        workshop = workshops.create_workshop(
            db.session.get(User, owner_id), "Atelier des données personnelles",
            territories.get_territory(SCOPE), definition)
        ids = []
        for answers in participants:
            response, token = workshops.join(workshop, definition, "fr")
            for question_id, value in answers.items():
                workshops.save_answer(workshop, definition, response,
                                      definition.question(question_id), value)
            ids.append((response.id, token))
        workshops.close(workshop, definition)
        return workshop.id, workshop.public_id, ids


def organiser_token(client) -> str:
    page = client.get("/campagnes/nouvelle")
    if page.status_code == 302:
        page = client.get("/connexion")
    return csrf_token(page.get_data(as_text=True))


CITIZEN_1 = {"acteur": "citoyen", "priorites": ["logement", "emploi"],
             "conf_interlocuteurs": 4, "conf_mefiance": 1, "perf_services": 4, "perf_moyens": 3}
CITIZEN_2 = {"acteur": "citoyen", "priorites": ["logement"],
             "conf_interlocuteurs": 2, "conf_mefiance": 3, "perf_services": 1, "perf_moyens": 2}
COMPANY = {"acteur": "entreprise", "priorites": ["mobilite"],
           "conf_interlocuteurs": 4, "conf_mefiance": 1, "perf_services": 4, "perf_moyens": 4}


# --------------------------------------------------------------------------- nothing stored


SUSPECT_WORDS = {"ip", "addr", "address", "agent", "ua", "browser", "forwarded", "remote",
                 "host", "device", "fingerprint", "referer", "referrer"}


def test_response_tables_have_no_address_or_browser_column(app):
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("response", "answer", "response_score"):
            names = {column["name"] for column in inspector.get_columns(table)}
            assert "id" in names or "response_id" in names
            suspect = {name for name in names if SUSPECT_WORDS & set(name.lower().split("_"))}
            assert not suspect, (table, suspect)


def every_stored_text(app) -> list[tuple[str, str, str]]:
    """(table, column, text) of every non-null value of every table of the database."""
    found = []
    with app.app_context():
        db.session.expire_all()
        engine = db.engine
        metadata = MetaData()
        for name in inspect(engine).get_table_names():
            table = Table(name, metadata, autoload_with=engine)
            with engine.connect() as connection:
                for row in connection.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        if value is None:
                            continue
                        text = value if isinstance(value, str) else json.dumps(value, default=str)
                        found.append((name, column.name, text))
    return found


def test_a_submission_stores_neither_the_address_nor_the_browser(app, client):
    client.environ_base.update(PROBES)
    respondent = Respondent(client)
    token = respondent.start("entreprise")
    with app.app_context():
        definition = catalog().get("entreprise")
    answers = full_answers(definition)
    for number, section in enumerate(definition.sections, start=1):
        posted = {q.id: as_form(q, answers[q.id]) for q in section.questions if q.id in answers}
        assert respondent.submit(number, posted).status_code == 302
    assert client.get(f"/r/{token}/resultats").status_code == 200
    paused = Respondent(client)
    paused.start("citoyen")
    assert paused.submit(1, {}, action="pause").status_code == 302
    with app.app_context():
        assert responses.find_response(token).completed

    stored = every_stored_text(app)
    assert any(table == "answer" for table, _column, _text in stored)
    addresses = ["203.0.113.77", "198.51.100.9", "203.0.113.78", "192.0.2.44"]
    probes = [*addresses, "SondeConfidentialite", "Gecko/20100101"]
    # Nor their plain digests.
    probes += [hashlib.sha256(address.encode()).hexdigest() for address in addresses]
    leaks = [(table, column) for table, column, text in stored
             for probe in probes if probe in text]
    assert not leaks


# --------------------------------------------------------------------------- a respondent


def test_a_respondent_deletes_their_response_and_the_benchmarks_follow(app, client):
    others = {high: complete(app, "commune:75056", confiance_answers(high))
              for high in (1, 2, 4)}
    twins = [complete(app, "commune:75056", confiance_answers(3)) for _ in range(2)]
    me_id, me = complete(app, "commune:69123", confiance_answers(3))
    assert national(app, me) == {"n": 6, "percentile": 58.3, "median": 60.0, "q1": 45.0,
                                 "q3": 60.0}
    sizes = group_sizes(app)
    assert sizes[("entreprise", "entreprise", "")] == 6
    assert sizes[("entreprise", "entreprise", "11")] == 5
    page = plain(client.get(f"/r/{me}/resultats"))
    assert "6 réponses" in page

    gone_id, gone = others[1]  # the company scoring 20
    delete_through_the_link(client, gone)

    assert rows_of(app, [gone_id]) == GONE
    assert rows_of(app, [me_id])["response"] == 1
    assert all_response_ids(app) == {me_id, *(i for i, _t in others.values()),
                                     *(i for i, _t in twins)} - {gone_id}
    sizes = group_sizes(app)
    assert sizes[("entreprise", "entreprise", "")] == 5
    assert sizes[("entreprise", "entreprise", "11")] == 4
    assert sizes[("entreprise", "entreprise", "84")] == 1
    assert national(app, me) == {"n": 5, "percentile": 50.0, "median": 60.0, "q1": 60.0,
                                 "q3": 60.0}
    with app.app_context():
        assert db.session.scalar(select(ScoreDistribution.count).where(
            ScoreDistribution.questionnaire_id == "entreprise", ScoreDistribution.region_code == "",
            ScoreDistribution.axis == "confiance", ScoreDistribution.score_key == 200)) is None
    page = plain(client.get(f"/r/{me}/resultats"))
    assert "5 réponses" in page and "6 réponses" not in page
    assert_distributions_as_recounted(app)

    # The link leads nowhere now.
    for path in ("", "/resultats", "/resultats.pdf", "/profil.svg", "/pause", "/etape/1"):
        assert client.get(f"/r/{gone}{path}").status_code == 404, path
    token = csrf_token(client.get(f"/r/{me}/resultats").get_data(as_text=True))
    assert client.post(f"/r/{gone}/supprimer", data={
        "csrf_token": token, "confirmer": "oui"}).status_code == 404
    said = client.get("/reponses-supprimees")
    assert said.status_code == 200
    assert "Vos réponses ont été supprimées" in plain(said)


def test_the_first_and_last_of_a_group_are_recounted(app, client):
    """Deleting the earliest and the latest response of a group moves its period."""
    first = complete(app, "commune:75056", confiance_answers(1))
    middle = complete(app, "commune:75056", confiance_answers(2))
    last = complete(app, "commune:75056", confiance_answers(3))
    with app.app_context():
        stamps = {first[0]: datetime(2030, 1, 5, tzinfo=UTC),
                  middle[0]: datetime(2030, 3, 5, tzinfo=UTC),
                  last[0]: datetime(2030, 6, 5, tzinfo=UTC)}
        for response_id, moment in stamps.items():
            db.session.execute(update(Response).where(Response.id == response_id)
                               .values(completed_at=moment))
        db.session.commit()
        benchmarks.rebuild_distributions()
    delete_through_the_link(client, first[1])
    delete_through_the_link(client, last[1])
    with app.app_context():
        group = db.session.get(BenchmarkGroup, ("entreprise", "entreprise", "11"))
        assert group.responses == 1
        assert group.first_at.replace(tzinfo=None) == datetime(2030, 3, 5)
        assert group.last_at.replace(tzinfo=None) == datetime(2030, 3, 5)
    assert_distributions_as_recounted(app)


def test_an_unfinished_response_is_deleted_from_the_pause_page(app, client, respondent):
    token = respondent.start("citoyen")
    assert respondent.submit(1, {}, action="pause").status_code == 302
    with app.app_context():
        response_id = responses.find_response(token).id
    delete_through_the_link(client, token, page="pause")
    assert rows_of(app, [response_id]) == GONE
    assert client.get(f"/r/{token}").status_code == 404


def test_a_campaign_response_deleted_leaves_the_dashboard(app, client, people, owned):
    campaign_id, public_id = new_campaign(app, people.ids["owner"])
    made = [respond(app, campaign_id, commune) for commune in ("69123", "69123", "69266")]
    assert responses_of(app, campaign_id) == {"citoyen": 3}  # and cached under its revision
    dashboard = people.clients["owner"].get(f"/campagnes/{public_id}")
    assert dashboard.status_code == 200
    revision = revision_of(app, campaign_id)

    gone_id, gone = made[2]  # the one in Villeurbanne
    delete_through_the_link(client, gone)

    assert rows_of(app, [gone_id]) == GONE
    assert revision_of(app, campaign_id) > revision
    assert responses_of(app, campaign_id) == {"citoyen": 2}
    stats, _scores = campaign_rows(app, campaign_id)
    assert ("", "citoyen", "n", 2, 0.0) in stats
    assert not [row for row in stats if row[0] == "69266"]  # its commune's rows reached 0
    assert_counts_as_recounted(app, campaign_id)
    assert_distributions_as_recounted(app)


def test_a_workshop_participant_deletes_their_answers(app, client, people, owned):
    workshop_id, _public_id, participants = new_workshop(app, people.ids["owner"],
                                                         [CITIZEN_1, CITIZEN_2, COMPANY])
    campaign_id, _public = new_campaign(app, people.ids["owner"])
    with app.app_context():
        workshops.attach(db.session.get(Workshop, workshop_id),
                         db.session.get(Campaign, campaign_id), catalog())
    assert responses_of(app, campaign_id) == {"citoyen": 2}
    gone_id, token = participants[0]
    csrf = csrf_token(client.get("/diagnostic/elu").get_data(as_text=True))
    asked = client.post(f"/r/{token}/supprimer", data={"csrf_token": csrf})
    assert asked.status_code == 200 and rows_of(app, [gone_id])["response"] == 1
    done = client.post(f"/r/{token}/supprimer", data={"csrf_token": csrf, "confirmer": "oui"})
    assert done.status_code == 303
    assert rows_of(app, [gone_id]) == GONE
    assert responses_of(app, campaign_id) == {"citoyen": 1}
    with app.app_context():
        assert workshops.answered_counts(db.session.get(Workshop, workshop_id))["acteur"] == 2
    assert_counts_as_recounted(app, campaign_id)
    assert_distributions_as_recounted(app)


def test_deleting_needs_the_form_and_the_right_link(app, client, db_counts):
    _id, token = complete(app, "commune:75056", confiance_answers(2))
    before = db_counts()
    sizes = group_sizes(app)
    page = client.get(f"/r/{token}/resultats").get_data(as_text=True)
    csrf = csrf_token(page)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(f"/r/{tampered}/supprimer",
                       data={"csrf_token": csrf, "confirmer": "oui"}).status_code == 404
    assert client.post(f"/r/{token}x/supprimer",
                       data={"csrf_token": csrf, "confirmer": "oui"}).status_code == 404
    assert client.post(f"/r/{token}/supprimer", data={"confirmer": "oui"}).status_code == 400
    assert client.post(f"/r/{token}/supprimer",
                       data={"csrf_token": "forged", "confirmer": "oui"}).status_code == 400
    assert client.get(f"/r/{token}/supprimer").status_code == 405
    # Anything but « oui » only asks again.
    asked = client.post(f"/r/{token}/supprimer", data={"csrf_token": csrf, "confirmer": "non"})
    assert asked.status_code == 200 and "Supprimer vos réponses ?" in plain(asked)
    assert db_counts() == before
    assert group_sizes(app) == sizes
    assert client.get(f"/r/{token}/resultats").status_code == 200


# --------------------------------------------------------------------------- an organiser


def test_an_organiser_deletes_a_campaign_with_all_its_responses(app, client, people, owned):
    campaign_id, public_id = new_campaign(app, people.ids["owner"])
    made = [respond(app, campaign_id, commune) for commune in ("69123", "69266")]
    unfinished = respond(app, campaign_id, "69123", complete_it=False)
    workshop_id, _workshop, made_there = new_workshop(app, people.ids["owner"],
                                                      [CITIZEN_1, COMPANY])
    participants = [response_id for response_id, _token in made_there]
    with app.app_context():
        workshops.attach(db.session.get(Workshop, workshop_id),
                         db.session.get(Campaign, campaign_id), catalog())
    outside = complete(app, "commune:69123", confiance_answers(3))
    sizes = group_sizes(app)
    theirs = [response_id for response_id, _token in made] + [unfinished[0], participants[0]]
    owner, url = people.clients["owner"], f"/campagnes/{public_id}/supprimer"

    dashboard = owner.get(f"/campagnes/{public_id}")
    assert f'action="{url}"' in dashboard.get_data(as_text=True)
    assert "Supprimer la campagne et toutes ses réponses" in plain(dashboard)
    # Another organiser, a visitor, a missing CSRF token: nothing happens.
    other = people.clients["other"]
    assert other.post(url, data={"csrf_token": organiser_token(other),
                                 "confirmer": "oui"}).status_code == 404
    visitor = app.test_client()
    assert is_login_redirect(visitor.post(url, data={"csrf_token": organiser_token(visitor),
                                                     "confirmer": "oui"}), url)
    assert owner.post(url, data={"confirmer": "oui"}).status_code == 400
    assert owner.post("/campagnes/0123456789ab/supprimer", data={
        "csrf_token": organiser_token(owner), "confirmer": "oui"}).status_code == 404
    assert rows_of(app, theirs)["response"] == 4

    asked = owner.post(url, data={"csrf_token": organiser_token(owner)})
    assert asked.status_code == 200
    text = plain(asked)
    assert "les 4 réponses données par eux" in text
    assert "3 sont terminées" in text
    assert rows_of(app, theirs)["response"] == 4
    done = owner.post(url, data={"csrf_token": csrf_token(asked.get_data(as_text=True)),
                                 "confirmer": "oui"})
    assert done.status_code == 303 and urlsplit(done.location).path == "/campagnes"
    assert "et ses 4 réponses ont été supprimées" in plain(owner.get("/campagnes"))

    assert rows_of(app, theirs) == GONE
    assert all_response_ids(app) == {outside[0], participants[1]}
    with app.app_context():
        assert db.session.get(Campaign, campaign_id) is None
        for model in (CampaignLink, CampaignStat, CampaignScore):
            assert not db.session.scalar(select(func.count()).select_from(model)
                                         .where(model.campaign_id == campaign_id))
        assert db.session.get(Workshop, workshop_id).campaign_id is None
    after = group_sizes(app)
    assert sizes[("citoyen", "citoyen", "")] == 2
    assert ("citoyen", "citoyen", "") not in after  # the group reached 0
    assert after.get(("atelier", "citoyen", "")) is None
    assert after[("atelier", "entreprise", "")] == 1
    assert after[("entreprise", "entreprise", "")] == sizes[("entreprise", "entreprise", "")]
    assert_distributions_as_recounted(app)
    assert owner.get(f"/campagnes/{public_id}").status_code == 404


def test_an_organiser_deletes_a_workshop_with_all_its_answers(app, client, people, owned):
    workshop_id, public_id, made = new_workshop(app, people.ids["owner"],
                                                [CITIZEN_1, CITIZEN_2, COMPANY])
    ids = [response_id for response_id, _token in made]
    campaign_id, _public = new_campaign(app, people.ids["owner"])
    own = respond(app, campaign_id, "69123")
    with app.app_context():
        workshops.attach(db.session.get(Workshop, workshop_id),
                         db.session.get(Campaign, campaign_id), catalog())
    assert responses_of(app, campaign_id) == {"citoyen": 3}
    owner, url = people.clients["owner"], f"/ateliers/{public_id}/supprimer"
    assert f'action="{url}"' in owner.get(f"/ateliers/{public_id}").get_data(as_text=True)

    other = people.clients["other"]
    assert other.post(url, data={"csrf_token": organiser_token(other),
                                 "confirmer": "oui"}).status_code == 404
    visitor = app.test_client()
    assert is_login_redirect(visitor.post(url, data={"csrf_token": organiser_token(visitor),
                                                     "confirmer": "oui"}), url)
    assert owner.post(url, data={"confirmer": "oui"}).status_code == 400
    assert rows_of(app, ids)["response"] == 3

    asked = owner.post(url, data={"csrf_token": organiser_token(owner)})
    assert asked.status_code == 200
    assert "les réponses de ses 3 participants seront définitivement supprimés" in plain(asked)
    assert rows_of(app, ids)["response"] == 3
    done = owner.post(url, data={"csrf_token": csrf_token(asked.get_data(as_text=True)),
                                 "confirmer": "oui"})
    assert done.status_code == 303 and urlsplit(done.location).path == "/ateliers"

    assert rows_of(app, ids) == GONE
    assert all_response_ids(app) == {own[0]}
    with app.app_context():
        assert db.session.get(Workshop, workshop_id) is None
    assert responses_of(app, campaign_id) == {"citoyen": 1}
    assert_counts_as_recounted(app, campaign_id)
    sizes = group_sizes(app)
    assert not [key for key in sizes if key[0] == "atelier"]
    assert sizes[("citoyen", "citoyen", "")] == 1
    assert_distributions_as_recounted(app)
    assert owner.get(f"/ateliers/{public_id}").status_code == 404


# --------------------------------------------------------------------------- retention


def age(app, response_id: int, days: int, completed_days: int | None = None) -> None:
    """Make a response `days` old (last saved; completed `completed_days` ago when given)."""
    now = datetime.now(UTC)
    values = {"created_at": now - timedelta(days=days), "updated_at": now - timedelta(days=days)}
    if completed_days is not None:
        values["completed_at"] = now - timedelta(days=completed_days)
    with app.app_context():
        db.session.execute(update(Response).where(Response.id == response_id).values(**values))
        db.session.commit()


def test_purge_expired_removes_exactly_the_old_responses(app, people, owned, monkeypatch):
    campaign_id, _public = new_campaign(app, people.ids["owner"])
    old_completed = complete(app, "commune:75056", confiance_answers(1))[0]
    age(app, old_completed, 400, completed_days=400)
    recent_completed = complete(app, "commune:75056", confiance_answers(2))[0]
    kept_long = complete(app, "commune:75056", confiance_answers(3))[0]
    age(app, kept_long, 400, completed_days=10)  # started long ago, completed lately
    old_campaign = respond(app, campaign_id, "69266")[0]
    age(app, old_campaign, 500, completed_days=500)
    recent_campaign = respond(app, campaign_id, "69123")[0]
    old_unfinished = respond(app, campaign_id, "69123", complete_it=False)[0]
    age(app, old_unfinished, 366)
    recent_unfinished = respond(app, campaign_id, "69123", complete_it=False)[0]
    age(app, recent_unfinished, 364)
    old_demo = complete(app, "commune:69123", confiance_answers(4))[0]
    age(app, old_demo, 400, completed_days=400)
    with app.app_context():
        db.session.execute(update(Response).where(Response.id == old_demo).values(is_demo=True))
        db.session.commit()
        benchmarks.rebuild_distributions()
        campaigns.rebuild_counts(db.session.get(Campaign, campaign_id), catalog())
    everything = all_response_ids(app)
    assert responses_of(app, campaign_id) == {"citoyen": 2}
    assert group_sizes(app)[("entreprise", "entreprise", "")] == 4
    runner = app.test_cli_runner()

    monkeypatch.setitem(app.config, "RETENTION_DAYS", None)
    said = runner.invoke(args=["purge-expired"])
    assert said.exit_code == 0 and "RETENTION_DAYS is not set" in said.output
    assert all_response_ids(app) == everything

    monkeypatch.setitem(app.config, "RETENTION_DAYS", 365)
    said = runner.invoke(args=["purge-expired", "--dry-run"])
    assert said.exit_code == 0, said.output
    assert ("4 responses older than 365 days would be removed (3 completed, 1 unfinished, "
            "1 of them demo)") in said.output
    assert all_response_ids(app) == everything

    said = runner.invoke(args=["purge-expired"])
    assert said.exit_code == 0, said.output
    assert "Removed 4 responses older than 365 days" in said.output
    assert all_response_ids(app) == {recent_completed, kept_long, recent_campaign,
                                     recent_unfinished}
    assert rows_of(app, [old_completed, old_campaign, old_unfinished, old_demo]) == GONE
    assert responses_of(app, campaign_id) == {"citoyen": 1}
    assert_counts_as_recounted(app, campaign_id)
    sizes = group_sizes(app)
    assert sizes[("entreprise", "entreprise", "")] == 2
    assert sizes[("citoyen", "citoyen", "")] == 1
    assert_distributions_as_recounted(app)

    said = runner.invoke(args=["purge-expired"])
    assert "Removed 0 responses" in said.output


def test_the_retention_period_is_counted_from_completion_with_a_given_clock(app):
    response_id, _token = complete(app, "commune:75056", confiance_answers(2))
    moment = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
    with app.app_context():
        db.session.execute(update(Response).where(Response.id == response_id).values(
            created_at=moment - timedelta(days=2), updated_at=moment, completed_at=moment))
        db.session.commit()
        found = privacy.purge_expired(30, catalog(), now=moment + timedelta(days=29, hours=23))
        assert found.total == 0
        found = privacy.purge_expired(30, catalog(), now=moment + timedelta(days=30, hours=1),
                                      dry_run=True)
        assert (found.total, found.completed, found.demo) == (1, 1, 0)
        assert db.session.get(Response, response_id) is not None
        found = privacy.purge_expired(30, catalog(), now=moment + timedelta(days=30, hours=1))
        assert found.total == 1
    assert rows_of(app, [response_id]) == GONE
    assert group_sizes(app) == {}


def test_retention_days_from_the_environment(tmp_path, monkeypatch):
    from diagnostic import config, create_app

    settings = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x",
                "DATABASE_URL": f"sqlite:///{tmp_path}/a.sqlite3"}
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    assert create_app(settings).config["RETENTION_DAYS"] is None
    monkeypatch.setenv("RETENTION_DAYS", "730")
    assert create_app(settings).config["RETENTION_DAYS"] == 730
    for bad in ("0", "-1", "deux ans"):
        monkeypatch.setenv("RETENTION_DAYS", bad)
        with pytest.raises(RuntimeError, match="RETENTION_DAYS"):
            config.positive_int("RETENTION_DAYS", 0)
