"""A campaign's aggregates, end to end: running counts kept on completion, the protected summary,
its filters, the dashboard, the API, the exports and the PDF report — every figure computed by
hand from fixed answers.

The campaign is about the Métropole de Lyon (epci:200046977), for citizens and companies. Its
fragility indices come from department 69 (EPCI have no indicators of their own): logement 137.8
and sécurité 121.1 (≥ 110: objectively fragile), emploi 89.2, santé 86.5.

Five citizens (Lyon ×3, Villeurbanne ×2):

    #  commune       logement  sécurité  priorités          partenariats  confiance items → score
    C1 Lyon          8         3         logement, emploi   non           4 4 1 4 4 1 → 100
    C2 Lyon          6         2         logement, emploi   non           3 3 2 3 3 2 → 66.67
    C3 Villeurbanne  9         4         logement, emploi   non           4 3 2 2 3 1 → 72.22
    C4 Villeurbanne  nsp       3         santé              nsp           1 1 4 1 1 4 → 0
    C5 Lyon          7         3         sécurité           non           2 3 3 2 ? 2 → 46.67

(confiance items: interlocuteurs, vision_partagee, mefiance (reversed), pouvoir_agir,
envie_engager, habitants_ecartes (reversed); each scores (v − 1) / 3 × 100, reversed 100 − that;
the score is the mean of the answered ones: C3 (100 + 66.7 + 66.7 + 33.3 + 66.7 + 100) / 6 = 72.22,
C5 (33.3 + 66.7 + 33.3 + 33.3 + 66.7) / 5 = 46.67.)

Four companies (Bron ×2, Vaulx-en-Velin ×2), one under MIN_GROUP_SIZE = 5:

    #  commune  logement  emploi  priorités          confiance (5 items, partenariats non)
    E1 Bron     3         4       pauvreté, emploi   20
    E2 Bron     1         5       pauvreté, emploi   40
    E3 Vaulx    2         6       pauvreté, emploi   60
    E4 Vaulx    1         7       emploi             80
    (E5 Bron    3         8       emploi             100 — added by some tests)

With four companies every company figure is hidden (logement mean 7 / 4 = 1.75, emploi mean 5.5,
pauvreté share 3 / 4 = 0.75, confiance median 50), and so is the citizens' figure of a row whose
total is shown (complementary suppression).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, select

from diagnostic.extensions import db
from diagnostic.models import (
    Campaign,
    CampaignScore,
    CampaignStat,
    LoginAttempt,
    Response,
    ResponseScore,
    User,
)
from diagnostic.registry import catalog
from diagnostic.services import accounts, campaigns, reference, responses, territories
from questionnaires import check_answers
from scoring.aggregates import Quartiles, response_metrics
from scoring.benchmarks import score_key
from tests.conftest import Respondent, csrf_token, sign_in

PASSWORD = "un mot de passe de test assez long"
SCOPE = "epci:200046977"
LINKS = {"citoyen": "citoyen", "entreprise": "entreprise"}

CITIZEN_CONFIANCE = (
    "conf_interlocuteurs",
    "conf_vision_partagee",
    "conf_mefiance",
    "conf_pouvoir_agir",
    "conf_envie_engager",
    "conf_habitants_ecartes",
)
COMPANY_NORMAL = ("conf_interlocuteurs", "conf_associations", "conf_vision_partagee")
COMPANY_REVERSED = ("conf_mefiance", "conf_chacun_pour_soi")
SCRIPT_COMMENT = "<script>alert('x')</script> & co"


def citizen(logement, securite, priorites, partenariats, confiance, **more) -> dict:
    answers = {
        "fragilite_logement": logement,
        "fragilite_securite": securite,
        "priorites": priorites,
        "partenariats": partenariats,
        **dict(zip(CITIZEN_CONFIANCE, confiance, strict=True)),
        **more,
    }
    return answers


def company(logement, emploi, priorites, high: int) -> dict:
    """`high` of the five applicable confiance items at 100, the others at 0: score 20 × high."""
    answers = {
        "fragilite_logement": logement,
        "fragilite_emploi": emploi,
        "priorites": priorites,
        "partenariats": "non",
    }
    for position, item in enumerate(COMPANY_NORMAL + COMPANY_REVERSED):
        good = position < high
        answers[item] = (4 if good else 1) if item in COMPANY_NORMAL else (1 if good else 4)
    return answers


CITIZENS = [
    (
        "69123",
        citizen(
            8, 3, ["logement", "emploi"], "non", (4, 4, 1, 4, 4, 1), commentaire=SCRIPT_COMMENT
        ),
    ),
    ("69123", citizen(6, 2, ["logement", "emploi"], "non", (3, 3, 2, 3, 3, 2))),
    ("69266", citizen(9, 4, ["logement", "emploi"], "non", (4, 3, 2, 2, 3, 1))),
    ("69266", citizen(None, 3, ["sante"], None, (1, 1, 4, 1, 1, 4))),
    ("69123", citizen(7, 3, ["securite"], "non", (2, 3, 3, 2, None, 2))),
]
COMPANIES = [
    ("69029", company(3, 4, ["pauvrete", "emploi"], 1)),
    ("69029", company(1, 5, ["pauvrete", "emploi"], 2)),
    ("69256", company(2, 6, ["pauvrete", "emploi"], 3)),
    ("69256", company(1, 7, ["emploi"], 4)),
]
FIFTH_COMPANY = ("69029", company(3, 8, ["emploi"], 5))
SUPPRESSED = {"suppressed": True}


# --------------------------------------------------------------------------- set-up


@dataclass
class Setup:
    campaign_id: int
    public_id: str
    email: str
    slugs: dict[str, str]
    #: (public id, private token) of every response created.
    secrets: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def organisers(app):
    """Makes organisers; removes their campaigns (with links and counts) and accounts after."""
    made: list[tuple[int, str]] = []

    def make() -> tuple[int, str]:
        with app.app_context():
            email = f"organisateur-{uuid.uuid4().hex[:12]}@example.org"
            user = accounts.create_user(email, PASSWORD, name="Métropole")
            made.append((user.id, email))
            return user.id, email

    yield make
    with app.app_context():
        db.session.rollback()
        ids = [user_id for user_id, _email in made]
        emails = [email for _user_id, email in made]
        db.session.execute(delete(Campaign).where(Campaign.owner_id.in_(ids)))
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email.in_(emails)))
        db.session.execute(delete(User).where(User.id.in_(ids)))
        db.session.commit()


def new_campaign(app, organisers, links=LINKS, scope=SCOPE) -> Setup:
    user_id, email = organisers()
    with app.app_context():
        owner = db.session.get(User, user_id)
        campaign = campaigns.create_campaign(
            owner, "Diagnostic de la Métropole", territories.get_territory(scope), dict(links)
        )
        return Setup(
            campaign.id,
            campaign.public_id,
            email,
            {link.actor: link.slug for link in campaign.links},
        )


def respond(app, setup: Setup, actor: str, commune: str, answers: dict) -> int:
    """A response through the campaign, section by section, then completed (which counts it)."""
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign_id)
        link = next(link for link in campaign.links if link.actor == actor)
        questionnaire = catalog().get(link.questionnaire_id)
        checked, errors = check_answers(
            questionnaire, {"territoire": f"commune:{commune}", **answers}
        )
        assert not errors, errors
        response, token = responses.start_response(questionnaire, "fr", campaign.id)
        for index, section in enumerate(questionnaire.sections):
            mine = {q.id: checked[q.id] for q in section.questions if q.id in checked}
            place = territories.get_territory(mine["territoire"]) if "territoire" in mine else None
            responses.save_section(response, questionnaire, section, mine, place, index + 1)
        responses.complete_response(response, questionnaire)
        setup.secrets.append((response.public_id, token))
        return response.id


@pytest.fixture
def scenario(app, organisers) -> Setup:
    """The campaign of the module documentation: five citizens and four companies."""
    setup = new_campaign(app, organisers)
    for commune, answers in CITIZENS:
        respond(app, setup, "citoyen", commune, answers)
    for commune, answers in COMPANIES:
        respond(app, setup, "entreprise", commune, answers)
    return setup


def summary_of(
    app,
    setup: Setup,
    actor: str | None = None,
    place: str | None = None,
    with_comments: bool = False,
):
    """The summary (its plain attributes) and its API form, as JSON would give it."""
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign_id)
        filters = campaigns.Filters(actor, territories.get_territory(place) if place else None)
        result = campaigns.summary(
            campaign, filters, catalog(), app.config["MIN_GROUP_SIZE"], with_comments=with_comments
        )
        as_json = json.loads(json.dumps(campaigns.summary_json(result)))
        return result, as_json


def domain(as_json: dict, name: str) -> dict:
    return next(row for row in as_json["domains"] if row["domain"] == name)


def log_in(client, email: str) -> None:
    sign_in(client, email, PASSWORD)


def numbers(value) -> list[float]:
    """Every number in a JSON document (booleans left out)."""
    if isinstance(value, dict):
        return [n for item in value.values() for n in numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in numbers(item)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value]
    return []


def suppressed_dicts(value, path="$"):
    """(path, dict) of every dict of a JSON document that says "suppressed": true."""
    if isinstance(value, dict):
        if value.get("suppressed") is True:
            yield path, value
        for key, item in value.items():
            yield from suppressed_dicts(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from suppressed_dicts(item, f"{path}[{position}]")


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


# --------------------------------------------------------------------------- reference


def test_the_fragility_indices_the_expectations_rest_on(app):
    with app.app_context():
        epci = territories.get_territory(SCOPE)
        assert epci.name == "Métropole de Lyon"
        assert campaigns.fragility_territory(epci).key == "departement:69"
        indices = reference.territory_fragility(
            territories.get_territory("departement:69"), list(catalog().vocabulary.domains)
        )
    assert indices["logement"].index == pytest.approx(137.8, abs=0.05)
    assert indices["securite"].index == pytest.approx(121.1, abs=0.05)
    assert indices["emploi"].index == pytest.approx(89.2, abs=0.05)
    assert indices["sante"].index == pytest.approx(86.5, abs=0.05)


# --------------------------------------------------------------------------- the summary


def test_summary_counts_and_complementary_suppression(app, scenario):
    result, as_json = summary_of(app, scenario)
    assert result.responses == {"citoyen": 5, "entreprise": 4}
    assert result.total == 9 and not result.too_small
    assert result.fragility_territory.key == "departement:69"
    assert as_json["fragility_territory"] == "departement:69"
    with app.app_context():
        days = {
            r.completed_at.date().isoformat()
            for r in db.session.scalars(
                select(Response).where(Response.campaign_id == scenario.campaign_id)
            )
        }
    (day,) = days
    assert as_json["timeline"] == {"citoyen": {day: 5}, "entreprise": {day: 4}}

    logement = domain(as_json, "logement")
    assert logement["index"] == 137.8
    # Companies: 4 responses < 5 → nothing. Citizens: their mean rests on 4 ratings (C4 said
    # « ne sait pas ») → suppressed; their priority share (5) and « ne sait pas » share (5)
    # are shown.
    assert logement["groups"] == {
        "citoyen": {
            "mean": SUPPRESSED,
            "priority": {"n": 5, "value": 0.6},
            "dont_know": {"n": 5, "value": 0.2},
            "classification": "suppressed",
        },
        "entreprise": {
            "mean": SUPPRESSED,
            "priority": SUPPRESSED,
            "dont_know": SUPPRESSED,
            "classification": "suppressed",
        },
    }
    # All: the two hidden means rest on 4 + 4 = 8 ratings together, so the total covers them:
    # (8 + 6 + 9 + 7 + 3 + 1 + 2 + 1) / 8 = 4.625 → 4.6. The companies' priority and « ne sait
    # pas » shares alone are hidden (4): those totals cover the citizens only, 3 / 5 and 1 / 5.
    # 4.6 < 6, but 3 / 5 ≥ 0.25 names it a priority, and 137.8 ≥ 110: shared priority.
    assert logement["all"] == {
        "mean": {"n": 8, "value": 4.6},
        "priority": {"n": 5, "value": 0.6},
        "dont_know": {"n": 5, "value": 0.2},
        "classification": "shared_priority",
    }

    securite = domain(as_json, "securite")
    # Only citizens rated it: (3 + 2 + 4 + 3 + 3) / 5 = 3.0 shown (nothing hidden in that row).
    assert securite["groups"]["citoyen"]["mean"] == {"n": 5, "value": 3.0}
    assert securite["groups"]["citoyen"]["dont_know"] == {"n": 5, "value": 0.0}
    assert securite["groups"]["entreprise"]["mean"] == {"n": 0, "value": None}
    # Priority: citizens 1 / 5 shown, the companies' hidden, and the total left without them.
    assert securite["groups"]["citoyen"]["priority"] == {"n": 5, "value": 0.2}
    assert securite["groups"]["entreprise"]["priority"] == SUPPRESSED
    # All: 3.0 < 6, 1 / 5 < 0.25, index 121.1 ≥ 110: a blind spot.
    assert securite["all"] == {
        "mean": {"n": 5, "value": 3.0},
        "priority": {"n": 5, "value": 0.2},
        "dont_know": {"n": 5, "value": 0.0},
        "classification": "blind_spot",
    }

    emploi = domain(as_json, "emploi")
    # Only the four companies rated it: the total rests on them alone → suppressed too.
    assert emploi["all"]["mean"] == SUPPRESSED
    assert emploi["all"]["priority"] == {"n": 5, "value": 0.6}  # the citizens' 3 / 5
    assert emploi["all"]["classification"] == "suppressed"
    assert emploi["groups"]["citoyen"]["priority"] == {"n": 5, "value": 0.6}


def test_summary_filtered_on_citizens(app, scenario):
    result, as_json = summary_of(app, scenario, actor="citoyen")
    assert result.responses == {"citoyen": 5}
    assert as_json["filters"] == {"actor": "citoyen", "territory": None}
    logement = domain(as_json, "logement")
    assert set(logement["groups"]) == {"citoyen"}
    cell = logement["groups"]["citoyen"]
    # (8 + 6 + 9 + 7) / 4 = 7.5, but on 4 ratings < 5: not shown, even to the organiser.
    assert cell["mean"] == SUPPRESSED
    # « ne sait pas » 1 / 5 and priority 3 / 5 rest on 5 responses: shown.
    assert cell["dont_know"] == {"n": 5, "value": 0.2}
    assert cell["priority"] == {"n": 5, "value": 0.6}
    assert cell["classification"] == "suppressed"
    assert logement["all"] == cell
    securite = domain(as_json, "securite")["groups"]["citoyen"]
    # 3.0 < 6, 1 / 5 = 0.2 < 0.25, 121.1 ≥ 110
    assert securite == {
        "mean": {"n": 5, "value": 3.0},
        "priority": {"n": 5, "value": 0.2},
        "dont_know": {"n": 5, "value": 0.0},
        "classification": "blind_spot",
    }
    emploi = domain(as_json, "emploi")["groups"]["citoyen"]
    # no rating, 3 / 5 name it; 89.2 < 110: perceived without an objective signal
    assert emploi["priority"] == {"n": 5, "value": 0.6}
    assert emploi["classification"] == "perceived_only"
    # Alliances: partenariats non 4 / 5, nsp 1 / 5, oui 0.
    assert as_json["alliances"]["partenariats"]["groups"]["citoyen"] == {
        "oui": {"n": 5, "value": 0.0},
        "non": {"n": 5, "value": 0.8},
        "nsp": {"n": 5, "value": 0.2},
    }


def test_a_mean_on_exactly_min_group_size_ratings_is_shown_and_classified(app, scenario):
    # A sixth citizen rates logement 5: (8 + 6 + 9 + 7 + 5) / 5 = 7.0 on 5 ratings.
    respond(
        app, scenario, "citoyen", "69266", citizen(5, None, ["culture"], "non", (3, 3, 3, 3, 3, 3))
    )
    _result, as_json = summary_of(app, scenario, actor="citoyen")
    cell = domain(as_json, "logement")["groups"]["citoyen"]
    # 7.0 ≥ 6 and 137.8 ≥ 110: shared priority. Priority 3 / 6, « ne sait pas » 1 / 6.
    assert cell == {
        "mean": {"n": 5, "value": 7.0},
        "priority": {"n": 6, "value": 0.5},
        "dont_know": {"n": 6, "value": 0.167},
        "classification": "shared_priority",
    }


def test_company_cells_appear_at_min_group_size(app, scenario):
    assert app.config["MIN_GROUP_SIZE"] == 5
    # MIN_GROUP_SIZE − 1 = 4 companies: every company figure hidden.
    result, as_json = summary_of(app, scenario)
    for row in as_json["domains"]:
        for figure in ("mean", "priority", "dont_know"):
            assert row["groups"]["entreprise"][figure] in (SUPPRESSED, {"n": 0, "value": None})
    assert as_json["impacts"]["entreprise"]["confiance"]["campaign"] == SUPPRESSED
    assert result.profiles["entreprise"]["confiance"].suppressed

    respond(app, scenario, "entreprise", *FIFTH_COMPANY)
    result, as_json = summary_of(app, scenario)
    assert result.responses == {"citoyen": 5, "entreprise": 5}
    emploi = domain(as_json, "emploi")
    # (4 + 5 + 6 + 7 + 8) / 5 = 6.0 ≥ 6, 89.2 < 110: perceived only.
    assert emploi["groups"]["entreprise"] == {
        "mean": {"n": 5, "value": 6.0},
        "priority": {"n": 5, "value": 1.0},
        "dont_know": {"n": 5, "value": 0.0},
        "classification": "perceived_only",
    }
    assert emploi["groups"]["citoyen"]["priority"] == {"n": 5, "value": 0.6}
    assert emploi["all"]["mean"] == {"n": 5, "value": 6.0}
    assert emploi["all"]["priority"] == {"n": 10, "value": 0.8}  # (3 + 5) / 10
    assert domain(as_json, "pauvrete")["groups"]["entreprise"]["priority"] == {"n": 5, "value": 0.6}
    logement = domain(as_json, "logement")
    # Companies' logement mean (3 + 1 + 2 + 1 + 3) / 5 = 2.0 rests on 5: shown. The citizens'
    # (on 4 ratings) is hidden, so the total leaves them out: it is the companies' 2.0.
    assert logement["groups"]["citoyen"]["mean"] == SUPPRESSED
    assert logement["groups"]["entreprise"]["mean"] == {"n": 5, "value": 2.0}
    assert logement["all"]["mean"] == {"n": 5, "value": 2.0}
    assert logement["groups"]["entreprise"]["priority"] == {"n": 5, "value": 0.0}
    assert logement["groups"]["citoyen"]["priority"] == {"n": 5, "value": 0.6}
    assert logement["groups"]["citoyen"]["dont_know"] == {"n": 5, "value": 0.2}
    # Confiance 20, 40, 60, 80, 100: median 60, quartiles 40 and 80.
    assert as_json["impacts"]["entreprise"]["confiance"]["campaign"] == {
        "n": 5,
        "median": 60.0,
        "q1": 40.0,
        "q3": 80.0,
    }
    assert as_json["alliances"]["partenariats"]["groups"]["entreprise"] == {
        "oui": {"n": 5, "value": 0.0},
        "non": {"n": 5, "value": 1.0},
        "nsp": {"n": 5, "value": 0.0},
    }


def test_a_hidden_company_figure_cannot_be_worked_out_with_the_actor_filter(app, scenario):
    """The citizens' figure can be read alone with the actor filter: were the total to count
    the 4 companies, total × n − citizens × n would give their figure back (for pauvreté,
    (0.333 × 9 − 0 × 5) / 4 = 0.75). Totals leave out a hidden group that small."""
    _result, everyone = summary_of(app, scenario)
    _result, citizens = summary_of(app, scenario, actor="citoyen")
    leaks = []
    rows = [
        (
            f"domain {row['domain']} {figure}",
            row["groups"]["entreprise"][figure],
            row["all"][figure],
            domain(citizens, row["domain"])["groups"]["citoyen"][figure],
        )
        for row in everyone["domains"]
        for figure in ("mean", "priority", "dont_know")
    ]
    for question, shares in everyone["alliances"].items():
        for value, total in shares["all"].items():
            rows.append(
                (
                    f"alliance {question}={value}",
                    shares["groups"]["entreprise"][value],
                    total,
                    citizens["alliances"][question]["groups"]["citoyen"][value],
                )
            )
    for name, hidden, total, alone in rows:
        # (A total of 0 tells every part anyway: only the filter's contribution is checked.)
        # (A total resting on the shown group alone gives nothing else away.)
        if (
            hidden == SUPPRESSED
            and total.get("value")
            and alone.get("value") is not None
            and total["n"] != alone["n"]
        ):
            worked_out = (total["value"] * total["n"] - alone["value"] * alone["n"]) / (
                total["n"] - alone["n"]
            )
            leaks.append(f"{name}: companies = {abs(worked_out):.2f}")
    assert not leaks, leaks


# --------------------------------------------------------------------------- filters


def test_a_commune_filter_under_min_group_size_shows_only_participation(app, client, scenario):
    # Lyon: C1, C2, C5 — 3 responses < 5.
    result, as_json = summary_of(app, scenario, place="commune:69123")
    assert result.responses == {"citoyen": 3, "entreprise": 0}
    assert result.too_small
    assert as_json["too_small"] is True
    assert as_json["filters"] == {"actor": None, "territory": "commune:69123"}
    assert as_json["responses"] == {"citoyen": 3, "entreprise": 0}
    assert (as_json["domains"], as_json["impacts"], as_json["alliances"]) == ([], {}, {})

    log_in(client, scenario.email)
    page = client.get(f"/campagnes/{scenario.public_id}?lieu=commune:69123")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Moins de 5 réponses correspondent" in html
    assert 'id="participation-title"' in html
    for section in ("regards-title", "impacts-title", "alliances-title", "comments-title"):
        assert f'id="{section}"' not in html
    # The whole campaign does show them.
    whole = client.get(f"/campagnes/{scenario.public_id}").get_data(as_text=True)
    assert 'id="regards-title"' in whole and "Moins de 5 réponses correspondent" not in whole


def test_department_and_epci_filters_of_a_regional_campaign(app, client, organisers):
    # Region 84: ten citizens in department 69 (Lyon ×6, Villeurbanne ×4, all in the
    # Métropole de Lyon) and one in Grenoble (department 38), each with a comment.
    setup = new_campaign(app, organisers, links={"citoyen": "citoyen"}, scope="region:84")
    places = ["69123"] * 6 + ["69266"] * 4 + ["38185"]
    for number, commune in enumerate(places, start=1):
        respond(
            app,
            setup,
            "citoyen",
            commune,
            {"fragilite_logement": number % 11, "commentaire": f"Commentaire {number}"},
        )
    for place in ("departement:69", "epci:200046977"):
        result, as_json = summary_of(app, setup, place=place, with_comments=True)
        assert result.responses == {"citoyen": 10}, place
        assert not result.too_small
        # Grenoble (1) and Villeurbanne (4) are left out of every filtered figure: Lyon alone
        # against the department would give Villeurbanne's 4 away. Ratings 1 … 6 in Lyon: 3.5.
        assert result.left_out == {"citoyen": 4}
        assert as_json["left_out"] == {"citoyen": 4}
        assert domain(as_json, "logement")["all"]["mean"] == {"n": 6, "value": 3.5}
        # The index is department 69's.
        assert domain(as_json, "logement")["index"] == 137.8
        # No comment under a sub-territory filter: two lists would tell whose a comment is.
        assert result.comments == []
    result, as_json = summary_of(app, setup, place="commune:69123")
    assert domain(as_json, "logement")["all"]["mean"] == {"n": 6, "value": 3.5}
    result, as_json = summary_of(app, setup, place="commune:69266")
    assert result.responses == {"citoyen": 4} and result.too_small
    result, as_json = summary_of(app, setup, place="commune:38185", with_comments=True)
    assert result.responses == {"citoyen": 1} and result.too_small and result.comments == []
    assert as_json["fragility_territory"] == "departement:38"
    result, _as_json = summary_of(app, setup, with_comments=True)
    assert result.total == 11 and len(result.comments) == 11
    log_in(client, setup.email)
    base = f"/campagnes/{setup.public_id}"
    assert client.get(f"{base}?lieu=departement:69").status_code == 200
    assert client.get(f"{base}?lieu=epci:200046977").status_code == 200
    assert client.get(f"{base}?lieu=departement:75").status_code == 400  # region 11


def test_a_filtered_figure_is_hidden_when_the_rest_of_the_campaign_rates_too_few(app, organisers):
    """Lyon 6 citizens, Villeurbanne 5, of whom 3 rate logement and 2 say « ne sait pas »: no
    commune is left out (6 and 5 responses), but Lyon's logement mean (6 ratings) against the
    campaign's (9) would give Villeurbanne's 3 ratings away: it is hidden."""
    setup = new_campaign(app, organisers, links={"citoyen": "citoyen"})
    for rating in (2, 4, 6, 8, 10, 6):
        respond(
            app,
            setup,
            "citoyen",
            "69123",
            {"fragilite_logement": rating, "priorites": ["logement"]},
        )
    for rating in (1, 1, 1, None, None):
        respond(
            app, setup, "citoyen", "69266", {"fragilite_logement": rating, "priorites": ["emploi"]}
        )
    _result, whole = summary_of(app, setup)
    assert domain(whole, "logement")["all"]["mean"] == {"n": 9, "value": 4.3}  # 39 / 9
    result, lyon = summary_of(app, setup, place="commune:69123")
    assert result.left_out == {} and not result.too_small
    logement = domain(lyon, "logement")["groups"]["citoyen"]
    assert logement["mean"] == SUPPRESSED
    # Priorities: 6 answers in Lyon, 5 more in the campaign: shown.
    assert logement["priority"] == {"n": 6, "value": 1.0}
    # « ne sait pas »: 6 asked in Lyon, 5 more elsewhere: shown.
    assert logement["dont_know"] == {"n": 6, "value": 0.0}
    _result, villeurbanne = summary_of(app, setup, place="commune:69266")
    assert domain(villeurbanne, "logement")["groups"]["citoyen"]["mean"] == SUPPRESSED
    assert domain(villeurbanne, "emploi")["groups"]["citoyen"]["priority"] == {
        "n": 5,
        "value": 1.0,
    }


def test_bad_filters_are_refused(client, scenario):
    log_in(client, scenario.email)
    base = f"/campagnes/{scenario.public_id}"
    assert client.get(f"{base}?acteur=citoyen").status_code == 200
    assert client.get(f"{base}?acteur=inconnu").status_code == 400
    assert client.get(f"{base}?acteur=elu").status_code == 400  # not an actor of the campaign
    assert client.get(f"{base}?lieu=commune:75056").status_code == 400  # Paris: outside
    assert client.get(f"{base}?lieu=commune:99999").status_code == 400  # unknown
    assert client.get(f"{base}?lieu={SCOPE}").status_code == 400  # the campaign itself
    assert client.get(f"{base}/regards.svg?acteur=inconnu").status_code == 400
    api = f"/api/v1/campaigns/{scenario.public_id}/summary"
    assert client.get(f"{api}?actor=inconnu").status_code == 400


# --------------------------------------------------------------------------- running counts


def count_rows(campaign_id: int) -> tuple[list, list]:
    stats = sorted(
        db.session.execute(
            select(
                CampaignStat.actor,
                CampaignStat.commune_code,
                CampaignStat.metric,
                CampaignStat.count,
                CampaignStat.total,
            ).where(CampaignStat.campaign_id == campaign_id)
        ).all()
    )
    scores = sorted(
        db.session.execute(
            select(
                CampaignScore.actor,
                CampaignScore.commune_code,
                CampaignScore.axis,
                CampaignScore.score_key,
                CampaignScore.count,
            ).where(CampaignScore.campaign_id == campaign_id)
        ).all()
    )
    return [tuple(row) for row in stats], [tuple(row) for row in scores]


def test_running_counts_by_hand_and_rebuilt(app, scenario):
    with app.app_context():
        stats, scores = count_rows(scenario.campaign_id)
        by_key = {
            (actor, commune, metric): (count, total)
            for actor, commune, metric, count, total in stats
        }
        assert by_key[("citoyen", "", "n")] == (5, 0.0)
        assert by_key[("citoyen", "69123", "n")] == (3, 0.0)
        assert by_key[("citoyen", "69266", "n")] == (2, 0.0)
        assert by_key[("entreprise", "69029", "n")] == (2, 0.0)
        assert by_key[("citoyen", "", "rating:logement")] == (4, 30.0)  # 8 + 6 + 9 + 7
        assert by_key[("citoyen", "69266", "rating:logement")] == (1, 9.0)
        assert by_key[("citoyen", "", "rating_nsp:logement")] == (1, 0.0)
        assert by_key[("citoyen", "", "q:priorites=logement")] == (3, 0.0)
        assert by_key[("citoyen", "", "q:partenariats=nsp")] == (1, 0.0)
        assert by_key[("entreprise", "", "rating:emploi")] == (4, 22.0)  # 4 + 5 + 6 + 7
        assert ("citoyen", "", "q:commentaire") not in by_key  # free text is not counted
        confiance = {
            key: count
            for actor, commune, axis, key, count in scores
            if actor == "citoyen" and commune == "" and axis == "confiance"
        }
        assert confiance == {0: 1, 467: 1, 667: 1, 722: 1, 1000: 1}

        campaign = db.session.get(Campaign, scenario.campaign_id)
        assert campaigns.rebuild_counts(campaign, catalog()) == 9
        assert count_rows(scenario.campaign_id) == (stats, scores)
        # Also in small chunks.
        campaign = db.session.get(Campaign, scenario.campaign_id)
        assert campaigns.rebuild_counts(campaign, catalog(), chunk=2) == 9
        assert count_rows(scenario.campaign_id) == (stats, scores)


def test_a_response_through_the_public_link_is_counted(app, client, organisers):
    setup = new_campaign(app, organisers)
    page = client.get(f"/c/{setup.slugs['citoyen']}")
    assert page.status_code == 200
    started = client.post(
        f"/c/{setup.slugs['citoyen']}", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert started.status_code == 302
    match = re.search(r"/r/([^/]+)/etape/1$", started.location)
    assert match, started.location
    respondent = Respondent(client)
    respondent.token = match.group(1)
    sections = {
        1: {"territoire": "commune:69123"},
        2: {
            "fragilite_logement": 8,
            "fragilite_securite": "nsp",
            "priorites": ["logement", "emploi"],
        },
        3: {"partenariats": "non"},
        4: dict(zip(CITIZEN_CONFIANCE, (4, 4, 1, 4, 4, 1), strict=True)),
        7: {"levier": "nsp", "commentaire": "Un tiers-lieu"},
    }
    number = 1
    while True:
        moved = respondent.submit(number, sections.get(number, {}))
        assert moved.status_code == 302, moved.get_data(as_text=True)
        step = re.search(r"/etape/(\d+)$", moved.location)
        if step is None:
            assert moved.location.endswith(f"/r/{respondent.token}/resultats"), moved.location
            break
        assert int(step.group(1)) > number  # always forward, no loop
        number = int(step.group(1))
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.campaign_id == setup.campaign_id)
        )
        assert response.status == "completed" and response.actor == "citoyen"
        assert response.territory == "commune:69123"
        expected = response_metrics(
            catalog().get("citoyen"), response.answer_map(), response.completed_at.date()
        )
        assert expected["rating:logement"] == (1, 8.0)
        assert expected["rating_nsp:securite"] == (1, 0.0)
        assert expected["q:levier=nsp"] == (1, 0.0)
        stats, scores = count_rows(setup.campaign_id)
        for commune in ("", "69123"):
            assert {
                metric: (count, total)
                for actor, code, metric, count, total in stats
                if code == commune and actor == "citoyen"
            } == expected
        assert {(code, axis, key) for _actor, code, axis, key, _count in scores} == {
            (code, "confiance", 1000) for code in ("", "69123")
        }


# --------------------------------------------------------------------------- impact profiles


def test_impact_profiles_equal_numpy_percentiles_of_the_stored_scores(app, scenario):
    result, as_json = summary_of(app, scenario)
    with app.app_context():
        stored = db.session.scalars(
            select(ResponseScore.score)
            .join(Response, Response.id == ResponseScore.response_id)
            .where(
                Response.campaign_id == scenario.campaign_id,
                Response.actor == "citoyen",
                ResponseScore.axis == "confiance",
            )
        ).all()
    assert sorted(round(s, 2) for s in stored) == [0.0, 46.67, 66.67, 72.22, 100.0]
    profile = result.profiles["citoyen"]["confiance"]
    # Positions 1, 2, 3 of the five sorted scores.
    assert profile == Quartiles(n=5, suppressed=False, median=66.7, q1=46.7, q3=72.2)
    for attribute, q in (("q1", 25), ("median", 50), ("q3", 75)):
        assert getattr(profile, attribute) == round(float(np.percentile(stored, q)), 1)
        keyed = [score_key(s) / 10 for s in stored]
        assert getattr(profile, attribute) == round(float(np.percentile(keyed, q)), 1)
    assert as_json["impacts"]["citoyen"]["confiance"]["campaign"] == {
        "n": 5,
        "median": 66.7,
        "q1": 46.7,
        "q3": 72.2,
    }
    # No performance or innovation item answered: no score, nothing to describe.
    assert as_json["impacts"]["citoyen"]["performance"]["campaign"] == {
        "n": 0,
        "median": None,
        "q1": None,
        "q3": None,
    }
    # The national reference of citizens is these same five responses.
    assert as_json["impacts"]["citoyen"]["confiance"]["pays"] == {
        "n": 5,
        "percentile": None,
        "median": 66.7,
        "q1": 46.7,
        "q3": 72.2,
    }


# --------------------------------------------------------------------------- the API


def test_api_summary_gives_the_same_numbers(app, client, scenario):
    api = f"/api/v1/campaigns/{scenario.public_id}/summary"
    assert client.get(api).status_code == 401
    log_in(client, scenario.email)
    for query, actor in (("", None), ("?actor=citoyen", "citoyen")):
        answer = client.get(api + query)
        assert answer.status_code == 200
        _result, expected = summary_of(app, scenario, actor=actor)
        assert answer.get_json() == expected
    body = client.get(api).get_json()
    assert body["id"] == scenario.public_id and body["territory"] == SCOPE
    assert body["responses"] == {"citoyen": 5, "entreprise": 4}
    assert body["min_group_size"] == 5
    assert domain(body, "logement")["all"]["mean"] == {"n": 8, "value": 4.6}

    # Companies alone: 4 < 5, nothing but participation.
    alone = client.get(api + "?actor=entreprise").get_json()
    assert alone["too_small"] is True and alone["responses"] == {"entreprise": 4}
    assert (alone["domains"], alone["impacts"], alone["alliances"]) == ([], {}, {})


def test_api_summary_of_another_organisers_campaign_is_not_found(app, client, scenario, organisers):
    _user_id, other = organisers()
    log_in(client, other)
    assert client.get(f"/api/v1/campaigns/{scenario.public_id}/summary").status_code == 404
    assert client.get(f"/campagnes/{scenario.public_id}").status_code == 404


def test_api_shows_no_company_figure_while_there_are_four(client, scenario):
    log_in(client, scenario.email)
    body = client.get(f"/api/v1/campaigns/{scenario.public_id}/summary").get_json()
    for row in body["domains"]:
        for figure in ("mean", "priority", "dont_know"):
            assert row["groups"]["entreprise"][figure] in (SUPPRESSED, {"n": 0, "value": None})
    # Confiance (4 scores) is hidden; no company answered a performance or innovation item.
    assert body["impacts"]["entreprise"]["confiance"]["campaign"] == SUPPRESSED
    for axis in ("performance", "innovation"):
        assert body["impacts"]["entreprise"][axis]["campaign"] == {
            "n": 0,
            "median": None,
            "q1": None,
            "q3": None,
        }
    for question, shares in body["alliances"].items():
        for value, cell in shares["groups"]["entreprise"].items():
            assert cell in (SUPPRESSED, {"n": 0, "value": None}), (question, value)
    # The companies' own figures: logement mean 1.75 → 1.8, emploi mean 5.5, pauvreté share
    # 0.75, partenariats non 1.0, confiance quartiles 35 / 50 / 65. None of them anywhere.
    found = numbers(body)
    for value in (1.8, 1.75, 5.5, 0.75, 35.0, 50.0, 65.0):
        assert value not in found, value
    assert 1.0 not in numbers(body["alliances"])


def test_api_suppressed_cells_say_suppressed_and_nothing_else(client, scenario):
    log_in(client, scenario.email)
    body = client.get(f"/api/v1/campaigns/{scenario.public_id}/summary").get_json()
    cells = list(suppressed_dicts(body))
    assert cells  # the companies' cells at least
    talkative = [(path, cell) for path, cell in cells if cell != SUPPRESSED]
    assert not talkative, talkative


# --------------------------------------------------------------------------- exports


FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+2",
    "-3+4",
    "@SUM(1+1)",
    "Un tiers-lieu ouvert le soir",
]


@pytest.fixture
def export_scenario(app, scenario) -> Setup:
    """Five more citizens in Lyon (8 there now, 2 in Villeurbanne), with their comments."""
    for comment in FORMULAS:
        respond(
            app, scenario, "citoyen", "69123", {"fragilite_logement": 5, "commentaire": comment}
        )
    return scenario


def expected_columns(app) -> list[str]:
    with app.app_context():
        seen = []
        for questionnaire_id in LINKS.values():
            for question in catalog().get(questionnaire_id).questions:
                if question.type != "territory" and question.id not in seen:
                    seen.append(question.id)
    return ["reponse", "acteur", "questionnaire", "version", "mois", "territoire", *seen]


def check_no_secret(cells: list[str], setup: Setup) -> None:
    text = "\n".join(cells)
    for public_id, token in setup.secrets:
        assert public_id not in text
        assert token not in text
    assert not re.search(r"\d{1,2}:\d{2}", text), "a time of day in the export"


def test_csv_export(app, client, export_scenario):
    log_in(client, export_scenario.email)
    got = client.get(f"/campagnes/{export_scenario.public_id}/export.csv")
    assert got.status_code == 200
    assert got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    assert got.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == expected_columns(app)
    assert "territoire" not in header[6:]
    column = {name: position for position, name in enumerate(header)}
    # 10 citizens; the 4 companies (< 5) are left out.
    assert len(body) == 10
    assert [row[column["reponse"]] for row in body] == [str(n) for n in range(1, 11)]
    assert {row[column["acteur"]] for row in body} == {"citoyen"}
    assert {(row[column["questionnaire"]], row[column["version"]]) for row in body} == {
        ("citoyen", "1")
    }
    for row in body:
        assert re.fullmatch(r"\d{4}-\d{2}", row[column["mois"]])
    # Villeurbanne has 2 citizens (< 5), and Lyon's 8 would give them away against the
    # campaign: both are given as their department, as the dashboard's filters leave them out.
    assert [row[column["territoire"]] for row in body] == ["departement:69"] * 10
    assert [row[column["fragilite_logement"]] for row in body] == [
        "8",
        "6",
        "9",
        "nsp",
        "7",
        "5",
        "5",
        "5",
        "5",
        "5",
    ]
    assert body[0][column["priorites"]] == "logement;emploi"
    assert body[3][column["partenariats"]] == "nsp"
    assert body[5][column["priorites"]] == ""  # not answered
    assert [row[column["commentaire"]] for row in body] == [
        SCRIPT_COMMENT,
        "",
        "",
        "",
        "",
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1+2",
        "'-3+4",
        "'@SUM(1+1)",
        "Un tiers-lieu ouvert le soir",
    ]
    check_no_secret([cell for row in rows for cell in row], export_scenario)
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_export(app, client, export_scenario):
    log_in(client, export_scenario.email)
    got = client.get(f"/campagnes/{export_scenario.public_id}/export.xlsx")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(got.data))
    assert workbook.sheetnames == ["reponses", "libelles", "codebook", "notes"]

    sheet = workbook["reponses"]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == expected_columns(app)
    column = {name: position for position, name in enumerate(rows[0])}
    assert len(rows) == 11
    assert {row[column["acteur"]] for row in rows[1:]} == {"citoyen"}
    assert [row[column["fragilite_logement"]] for row in rows[1:]] == [
        "8",
        "6",
        "9",
        "nsp",
        "7",
        "5",
        "5",
        "5",
        "5",
        "5",
    ]
    assert rows[3][column["territoire"]] == "departement:69"
    comments = [row[column["commentaire"]] for row in rows[6:]]
    assert comments == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1+2",
        "'-3+4",
        "'@SUM(1+1)",
        "Un tiers-lieu ouvert le soir",
    ]
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (worksheet.title, cell.coordinate, cell.value)
    check_no_secret([cell for row in rows for cell in row], export_scenario)

    labels = [
        ["" if v is None else str(v) for v in row]
        for row in workbook["libelles"].iter_rows(values_only=True)
    ]
    assert labels[0] == rows[0]
    assert labels[4][column["fragilite_logement"]] == "Ne sait pas"
    assert labels[1][column["priorites"]] == "Mal-logement; Emploi / chômage / insertion"
    assert labels[6][column["commentaire"]] == '\'=HYPERLINK("http://evil.example","x")'

    codebook = [list(row) for row in workbook["codebook"].iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(codebook) if row[0] == "fragilite_logement")
    assert codebook[start][1:4] == ["Mal-logement", "Poor housing", "scale"]
    values = []
    for row in codebook[start + 1 :]:
        if row[0]:
            break
        values.append(tuple(row[4:7]))
    assert ("nsp", "Ne sait pas / ne se prononce pas", "Don't know / no opinion") in values
    assert ("0", "0 — pas une fragilité", "0 — not a fragility") in values
    assert len(values) == 12  # 0 … 10 and nsp

    notes = [row[0] for row in workbook["notes"].iter_rows(values_only=True)]
    assert any("nsp" in note for note in notes)
    assert any(note.startswith("entreprise: moins de 5 réponses") for note in notes)
    assert not any(note.startswith("citoyen") for note in notes)


def test_export_keeps_an_actor_type_from_min_group_size(app, client, scenario):
    respond(app, scenario, "entreprise", *FIFTH_COMPANY)
    log_in(client, scenario.email)
    got = client.get(f"/campagnes/{scenario.public_id}/export.csv")
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    column = {name: position for position, name in enumerate(rows[0])}
    assert [row[column["acteur"]] for row in rows[1:]].count("entreprise") == 5
    # Bron 3 companies, Vaulx-en-Velin 2: all under 5, given as the department.
    assert {row[column["territoire"]] for row in rows[1:]} == {"departement:69"}
    workbook = load_workbook(
        io.BytesIO(client.get(f"/campagnes/{scenario.public_id}/export.xlsx").data)
    )
    notes = [row[0] for row in workbook["notes"].iter_rows(values_only=True)]
    assert not any(note.startswith("entreprise: moins de 5") for note in notes)
    # 5 companies < 2 × 5: their free texts stay out.
    assert any(note.startswith("entreprise: moins de 10 réponses, textes libres") for note in notes)
    assert {
        row[column["commentaire"]] for row in rows[1:] if row[column["acteur"]] == "entreprise"
    } == {""}


def test_exports_need_the_organiser(client, scenario, organisers):
    assert client.get(f"/campagnes/{scenario.public_id}/export.csv").status_code in (302, 401)
    _user_id, other = organisers()
    log_in(client, other)
    assert client.get(f"/campagnes/{scenario.public_id}/export.csv").status_code == 404
    assert client.get(f"/campagnes/{scenario.public_id}/rapport.pdf").status_code == 404


# --------------------------------------------------------------------------- the PDF report


def test_pdf_report(client, scenario):
    log_in(client, scenario.email)
    got = client.get(f"/campagnes/{scenario.public_id}/rapport.pdf")
    assert got.status_code == 200
    assert got.mimetype == "application/pdf"
    assert got.data.startswith(b"%PDF")
    text = pdf_text(got.data)
    assert "Métropole de Lyon" in text
    assert "9 réponses complètes" in text
    # logement: index 137.8 → 138, mean 4.625 → 4,6; sécurité: index 121, mean 3,0.
    assert "Mal-logement — priorité partagée : indice 138, note moyenne 4,6 sur 10" in text
    assert "Sécurité / délinquance — angle mort : indice 121, note moyenne 3,0 sur 10" in text
    assert "Insee" in text
    assert "Observatoire des partenariats" in text
    # The companies' hidden figures are not in the report either.
    assert "1,8" not in text and "0,75" not in text


def test_pdf_report_with_a_priority_nobody_rated(app, client, organisers):
    """Five citizens name sécurité a priority (5 / 5 ≥ 0.25, index 121 ≥ 110: shared priority)
    without rating it: the mean is « — », and the report must still be made."""
    setup = new_campaign(app, organisers, links={"citoyen": "citoyen"})
    for commune in ("69123", "69123", "69266", "69029", "69256"):
        respond(app, setup, "citoyen", commune, {"priorites": ["securite"]})
    _result, as_json = summary_of(app, setup)
    securite = domain(as_json, "securite")["all"]
    assert securite["mean"] == {"n": 0, "value": None}
    assert securite["priority"] == {"n": 5, "value": 1.0}
    assert securite["classification"] == "shared_priority"
    log_in(client, setup.email)
    got = client.get(f"/campagnes/{setup.public_id}/rapport.pdf")
    assert got.status_code == 200
    assert "Sécurité / délinquance — priorité partagée : indice 121" in pdf_text(got.data)


# --------------------------------------------------------------------------- the dashboard


def test_dashboard_shows_comments_escaped_from_twice_min_group_size(app, client, scenario):
    log_in(client, scenario.email)
    # 9 responses < 2 × 5: no comment shown.
    html = client.get(f"/campagnes/{scenario.public_id}").get_data(as_text=True)
    assert 'id="comments-title"' not in html
    assert "alert(" not in html
    # 5 citizens + 4 companies + 4 more citizens: 9 citizens, still too few for free texts.
    for _number in range(4):
        respond(app, scenario, "citoyen", "69266", {"fragilite_logement": 4})
    html = client.get(f"/campagnes/{scenario.public_id}").get_data(as_text=True)
    assert 'id="comments-title"' not in html
    # The tenth citizen: the citizens' comments show, and never the companies' (4 < 10).
    respond(app, scenario, "citoyen", "69266", {"fragilite_logement": 4})
    html = client.get(f"/campagnes/{scenario.public_id}").get_data(as_text=True)
    assert 'id="comments-title"' in html
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html
    # Companies alone (4): nothing but participation, and no comment.
    companies = client.get(f"/campagnes/{scenario.public_id}?acteur=entreprise")
    assert companies.status_code == 200
    assert "alert(" not in companies.get_data(as_text=True)


def test_dashboard_numbers(client, scenario):
    log_in(client, scenario.email)
    html = client.get(f"/campagnes/{scenario.public_id}?acteur=citoyen").get_data(as_text=True)
    html = html.replace("\u00a0", " ").replace("\u202f", " ")
    # securite: 3,0 (20 %); logement: mean suppressed, priority 60 %.
    row = html[html.index(">Sécurité / délinquance<") :]
    row = row[: row.index("</tr>")]
    assert "3,0" in row and "20 %" in row
    row = html[html.index(">Mal-logement<") :]
    row = row[: row.index("</tr>")]
    assert "&lt; 5" in row and "60 %" in row
    for chart in ("participation", "regards", "impacts"):
        assert (
            client.get(f"/campagnes/{scenario.public_id}/{chart}.svg?acteur=citoyen").status_code
            == 200
        )


def test_a_cached_view_gives_way_to_new_responses_and_to_a_recount(app, organisers):
    """Figures are cached per worker under the campaign's revision: a completed response, or a
    recount, changes the revision, and the next view counts afresh."""
    setup = new_campaign(app, organisers, links={"citoyen": "citoyen"})
    for _ in range(5):
        respond(app, setup, "citoyen", "69123", {"priorites": ["logement"]})
    first, _json = summary_of(app, setup)
    again, _json = summary_of(app, setup)
    assert first.responses == again.responses == {"citoyen": 5}
    respond(app, setup, "citoyen", "69123", {"priorites": ["emploi"]})
    after, as_json = summary_of(app, setup)
    assert after.responses == {"citoyen": 6}
    assert domain(as_json, "emploi")["groups"]["citoyen"]["priority"] == {"n": 6, "value": 0.167}
    lyon, _json = summary_of(app, setup, place="commune:69123")
    assert lyon.responses == {"citoyen": 6}
    with app.app_context():
        campaign = db.session.get(Campaign, setup.campaign_id)
        before = campaign.revision
        # A recount from the responses deletes the counts first: it bumps the revision too.
        db.session.execute(delete(CampaignStat).where(CampaignStat.campaign_id == campaign.id))
        campaigns.rebuild_counts(campaign, catalog())
        db.session.commit()
        revision = db.session.scalar(
            select(Campaign.revision).where(Campaign.id == setup.campaign_id)
        )
        assert revision > before
    recounted, _json = summary_of(app, setup)
    assert recounted.responses == {"citoyen": 6}


#: Every campaign URL with figures in it, and those without (a new URL must be put in one).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AGGREGATE_URLS = {
    "/campagnes/{id}": "text/html",
    "/campagnes/{id}?acteur=citoyen": "text/html",
    "/campagnes/{id}?lieu=commune:69123": "text/html",
    "/campagnes/{id}/participation.svg": "image/svg+xml",
    "/campagnes/{id}/regards.svg": "image/svg+xml",
    "/campagnes/{id}/impacts.svg": "image/svg+xml",
    "/campagnes/{id}/export.csv": "text/csv",
    "/campagnes/{id}/export.xlsx": XLSX,
    "/campagnes/{id}/rapport.pdf": "application/pdf",
    "/api/v1/campaigns/{id}/summary": "application/json",
}
WITHOUT_FIGURES = {"/campagnes/<public_id>/liens", "/campagnes/<public_id>/qr/<actor>.<kind>"}


def test_every_figure_of_every_campaign_url_goes_through_the_shared_suppression(
        app, client, scenario, monkeypatch):
    """`scoring.suppression.protect` is the one rule: each URL that shows figures calls it (a
    page computing a figure its own way would not)."""
    from scoring import suppression

    calls = []
    original = suppression.protect

    def spy(n, value, min_size):
        calls.append(n)
        return original(n, value, min_size)

    monkeypatch.setattr(suppression, "protect", spy)
    log_in(client, scenario.email)
    for path, mimetype in AGGREGATE_URLS.items():
        calls.clear()
        answer = client.get(path.format(id=scenario.public_id))
        assert answer.status_code == 200, path
        assert answer.mimetype == mimetype, path
        assert calls, f"{path} shows figures without scoring.suppression.protect"
    rules = {re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", r"<\1>", rule.rule)
             for rule in app.url_map.iter_rules()
             if rule.rule.startswith(("/campagnes/<", "/api/v1/campaigns/<"))
             and "GET" in rule.methods}
    covered = {re.sub(r"\{id\}", "<public_id>", path.split("?")[0])
               .replace("participation.svg", "<name>.svg").replace("export.csv", "export.<kind>")
               for path in AGGREGATE_URLS}
    assert rules - covered - WITHOUT_FIGURES == set()
