"""Organiser accounts: creation (service and command line), log in and out, throttling, the
session cookie, the password change, the personal API token, the administrators' user page."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from diagnostic.extensions import db
from diagnostic.models import (
    Campaign,
    CampaignLink,
    CampaignScore,
    CampaignStat,
    LoginAttempt,
    Response,
    User,
    utcnow,
)
from diagnostic.services import accounts, campaigns, territories

PASSWORD = "a long enough password"
EN = {"Accept-Language": "en"}
HTTPS = "https://diagnostic.test"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _forget_accounts(app):
    """After each test: no campaign, login attempt or account is left for the next one."""
    yield
    with app.app_context():
        db.session.rollback()
        db.session.execute(update(Response).values(campaign_id=None))
        for model in (CampaignStat, CampaignScore, CampaignLink, Campaign, LoginAttempt, User):
            db.session.execute(delete(model))
        db.session.commit()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def make_user(app, role: str = "organiser", password: str = PASSWORD) -> Account:
    email = unique_email(role)
    with app.app_context():
        user = accounts.create_user(email, password, role)
        return Account(user.id, email, password)


def make_campaign(app, owner: Account) -> str:
    """A campaign of `owner` on the Métropole de Lyon; its public id."""
    with app.app_context():
        user = db.session.get(User, owner.id)
        campaign = campaigns.create_campaign(
            user,
            "Diagnostic de la Métropole",
            territories.get_territory("epci:200046977"),
            {"citoyen": "citoyen", "entreprise": "entreprise"},
        )
        return campaign.public_id


def user_row(app, user_id: int) -> dict:
    with app.app_context():
        db.session.expire_all()
        user = db.session.get(User, user_id)
        return {
            "email": user.email,
            "role": user.role,
            "active": user.active,
            "password_hash": user.password_hash,
            "api_token_hash": user.api_token_hash,
        }


def attempts(app, email: str | None = None) -> list[tuple[str, bool]]:
    with app.app_context():
        db.session.expire_all()
        query = select(LoginAttempt.email, LoginAttempt.succeeded)
        if email is not None:
            query = query.where(LoginAttempt.email == email)
        return [tuple(row) for row in db.session.execute(query.order_by(LoginAttempt.id))]


def form_token(html: str, name: str = "csrf_token") -> str:
    """The value of the hidden CSRF input called `name` (a prefixed form names it
    `<prefix>-csrf_token`), whatever the order of its attributes."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]+)"', tag)
            assert value, tag
            return value.group(1)
    raise AssertionError(f"no input {name} in the page")


def login(client, email: str, password: str, next_: str | None = None, **kwargs):
    """GET the login page, then POST it like a browser."""
    page = client.get("/connexion", **kwargs)
    assert page.status_code == 200, page.status_code
    url = "/connexion" if next_ is None else f"/connexion?next={quote(next_, safe='')}"
    data = {
        "csrf_token": form_token(page.get_data(as_text=True)),
        "email": email,
        "password": password,
    }
    return client.post(url, data=data, **kwargs)


def logged_in(app, account: Account):
    client = app.test_client()
    answer = login(client, account.email, account.password)
    assert answer.status_code == 302, answer.status_code
    return client


def path_of(location: str) -> str:
    return urlsplit(location).path


def is_login_redirect(answer, next_: str | None = None) -> bool:
    if answer.status_code != 302 or path_of(answer.location) != "/connexion":
        return False
    return next_ is None or parse_qs(urlsplit(answer.location).query).get("next") == [next_]


def session_cookie(answer) -> str:
    cookies = [
        value for value in answer.headers.getlist("Set-Cookie") if value.startswith("session=")
    ]
    assert cookies, answer.headers
    return cookies[-1]


def cookie_flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


# --------------------------------------------------------------------------- create_user


def test_create_user_lowercases_the_email_and_keeps_only_a_scrypt_hash(app):
    email = unique_email("Mixed").upper()
    with app.app_context():
        user = accounts.create_user(f"  {email} ", PASSWORD)
        user_id = user.id
    row = user_row(app, user_id)
    assert row["email"] == email.lower()
    assert row["role"] == "organiser"
    assert row["active"] is True
    assert row["password_hash"].startswith("scrypt:")
    assert PASSWORD not in row["password_hash"]
    assert check_password_hash(row["password_hash"], PASSWORD)
    assert row["api_token_hash"] is None


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_create_user_with_a_role(app, role):
    account = make_user(app, role)
    assert user_row(app, account.id)["role"] == role
    with app.app_context():
        assert db.session.get(User, account.id).is_admin is (role == "admin")


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-email",
        "no-domain@",
        "@example.org",
        "two words@example.org",
        "a@b",
        "a@@example.org",
    ],
)
def test_create_user_refuses_a_bad_email(app, email):
    with app.app_context():
        with pytest.raises(accounts.AccountError) as refused:
            accounts.create_user(email, PASSWORD)
        assert refused.value.code == "bad_email"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_a_taken_email_whatever_its_case(app):
    account = make_user(app)
    with app.app_context():
        for email in (account.email, account.email.upper()):
            with pytest.raises(accounts.AccountError) as refused:
                accounts.create_user(email, "another long password")
            assert refused.value.code == "email_taken"
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_create_user_refuses_a_password_under_12_characters(app):
    with app.app_context():
        for password in ("", "x" * 11):
            with pytest.raises(accounts.AccountError) as refused:
                accounts.create_user(unique_email(), password)
            assert refused.value.code == "password_too_short"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert accounts.create_user(unique_email(), "x" * 12).id is not None


def test_create_user_refuses_an_unknown_role(app):
    with app.app_context():
        with pytest.raises(accounts.AccountError) as refused:
            accounts.create_user(unique_email(), PASSWORD, "superuser")
        assert refused.value.code == "bad_role"


# --------------------------------------------------------------------------- command line


def test_cli_create_user_generates_a_password_that_logs_in(app):
    email = unique_email("Admin")
    result = app.test_cli_runner().invoke(
        args=["create-user", email.upper(), "--role", "admin", "--generate"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"^Password: (\S+)$", result.output, re.MULTILINE)
    assert match, result.output
    password = match.group(1)
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        assert user is not None and user.role == "admin"
        assert password not in user.password_hash
    client = app.test_client()
    answer = login(client, email, password)
    assert answer.status_code == 302
    assert client.get("/admin/utilisateurs").status_code == 200


def test_cli_create_user_prompts_for_the_password(app):
    email = unique_email()
    result = app.test_cli_runner().invoke(
        args=["create-user", email, "--name", "Ville de Bron"],
        input="longpassword123\nlongpassword123\n",
    )
    assert result.exit_code == 0, result.output
    assert "longpassword123" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.role == "organiser" and user.name == "Ville de Bron"
    assert login(app.test_client(), email, "longpassword123").status_code == 302


def test_cli_create_user_refuses_a_duplicate_email(app):
    account = make_user(app)
    result = app.test_cli_runner().invoke(args=["create-user", account.email, "--generate"])
    assert result.exit_code == 1
    assert "an account already exists with this email address" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_cli_create_user_refuses_a_short_password(app):
    email = unique_email()
    result = app.test_cli_runner().invoke(args=["create-user", email], input="short\nshort\n")
    assert result.exit_code == 1
    assert "the password needs at least 12 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == email)) is None


def test_cli_create_user_refuses_a_bad_email(app):
    result = app.test_cli_runner().invoke(args=["create-user", "nobody", "--generate"])
    assert result.exit_code == 1
    assert "not a valid email address" in result.output


# --------------------------------------------------------------------------- log in and out


def test_login_page(client):
    page = client.get("/connexion")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    form_token(html)


def test_wrong_password_is_a_401_without_session(app, client):
    account = make_user(app)
    answer = login(client, account.email, "not the password at all", headers=EN)
    assert answer.status_code == 401
    assert "Unknown email address or wrong password." in answer.get_data(as_text=True)
    assert is_login_redirect(client.get("/campagnes"))
    assert attempts(app, account.email) == [(account.email, False)]


def test_unknown_email_is_the_same_401(app, client):
    email = unique_email()
    answer = login(client, email, PASSWORD, headers=EN)
    assert answer.status_code == 401
    assert "Unknown email address or wrong password." in answer.get_data(as_text=True)
    assert attempts(app, email) == [(email, False)]


def test_right_password_logs_in_and_goes_to_the_campaigns(app, client):
    account = make_user(app)
    answer = login(client, account.email.upper(), account.password)
    assert answer.status_code == 302
    assert path_of(answer.location) == "/campagnes"
    assert client.get("/campagnes").status_code == 200
    assert client.get("/compte").status_code == 200
    assert attempts(app, account.email) == [(account.email, True)]
    # Logged in, the login page sends to the campaigns.
    again = client.get("/connexion")
    assert again.status_code == 302 and path_of(again.location) == "/campagnes"


def test_login_honours_a_local_next(app, client):
    account = make_user(app)
    answer = login(client, account.email, account.password, next_="/compte?onglet=jeton")
    assert answer.status_code == 302
    assert path_of(answer.location) == "/compte"
    assert urlsplit(answer.location).query == "onglet=jeton"
    assert client.get(answer.location).status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example/campagnes",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_login_never_goes_to_another_site(app, client, target):
    account = make_user(app)
    answer = login(client, account.email, account.password, next_=target)
    assert answer.status_code == 302
    parts = urlsplit(answer.location)
    assert parts.netloc in ("", "diagnostic.test"), answer.location
    assert parts.scheme in ("", "http", "https")
    assert "evil" not in answer.location


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example/campagnes", "/campagnes\r\nSet-Cookie: x=1",
     "/campagnes\x00", "/" + "a" * 5000],
)
def test_login_with_a_foreign_next_goes_to_the_campaigns(app, client, target):
    account = make_user(app)
    answer = login(client, account.email, account.password, next_=target)
    assert answer.status_code == 302
    assert path_of(answer.location) == "/campagnes", answer.location


def test_a_deactivated_account_cannot_log_in(app, client):
    account = make_user(app)
    with app.app_context():
        accounts.set_active(db.session.get(User, account.id), False)
    answer = login(client, account.email, account.password)
    assert answer.status_code == 401
    assert is_login_redirect(client.get("/campagnes"))
    assert attempts(app, account.email) == [(account.email, False)]


def test_a_deactivated_account_loses_its_open_session(app):
    account = make_user(app)
    client = logged_in(app, account)
    assert client.get("/campagnes").status_code == 200
    with app.app_context():
        accounts.set_active(db.session.get(User, account.id), False)
    assert is_login_redirect(client.get("/campagnes"))
    assert is_login_redirect(client.get("/compte"))


def test_logout_is_post_only_with_csrf_and_ends_the_session(app):
    account = make_user(app)
    client = logged_in(app, account)
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/campagnes").status_code == 200
    token = form_token(client.get("/compte").get_data(as_text=True), "password-csrf_token")
    answer = client.post("/deconnexion", data={"csrf_token": token})
    assert answer.status_code == 302
    assert path_of(answer.location) == "/"
    assert is_login_redirect(client.get("/campagnes"))
    assert is_login_redirect(client.get("/compte"))


def test_login_without_csrf_is_a_400_and_no_attempt(app, client):
    account = make_user(app)
    answer = client.post("/connexion", data={"email": account.email, "password": account.password})
    assert answer.status_code == 400
    assert attempts(app) == []
    assert is_login_redirect(client.get("/campagnes"))
    forged = client.post(
        "/connexion",
        data={"csrf_token": "forged", "email": account.email, "password": account.password},
    )
    assert forged.status_code == 400
    assert attempts(app) == []


def test_login_with_an_empty_form_is_a_400(app, client):
    page = client.get("/connexion")
    answer = client.post("/connexion", data={"csrf_token": form_token(page.get_data(as_text=True))})
    assert answer.status_code == 400
    assert attempts(app) == []


# --------------------------------------------------------------------------- throttling


def fail(client, email: str, times: int, **kwargs) -> None:
    token = form_token(client.get("/connexion", **kwargs).get_data(as_text=True))
    for _ in range(times):
        answer = client.post(
            "/connexion",
            data={"csrf_token": token, "email": email, "password": "a wrong password!"},
            **kwargs,
        )
        assert answer.status_code == 401, answer.status_code


def add_failures(app, email: str, count: int, age: timedelta, address: str = "10.9.9.9") -> None:
    with app.app_context():
        keyed = accounts.address_hash(address, app.secret_key)
        for _ in range(count):
            db.session.add(
                LoginAttempt(email=email, address_hash=keyed, succeeded=False, at=utcnow() - age)
            )
        db.session.commit()


def test_four_failures_still_let_the_right_password_in(app, client):
    account = make_user(app)
    fail(client, account.email, accounts.MAX_FAILURES_PER_ACCOUNT - 1)
    assert login(client, account.email, account.password).status_code == 302


def test_five_failures_refuse_even_the_right_password(app, client):
    account = make_user(app)
    fail(client, account.email, 5)
    answer = login(client, account.email, account.password, headers=EN)
    assert answer.status_code == 429
    assert "Too many failed attempts" in answer.get_data(as_text=True)
    assert is_login_redirect(client.get("/campagnes"))
    # The refused attempt is not even checked: still five failures, no success.
    assert attempts(app, account.email) == [(account.email, False)] * 5
    # From another address too: the account itself is protected.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert login(elsewhere, account.email, account.password).status_code == 429
    # Another account is not affected.
    other = make_user(app)
    assert login(app.test_client(), other.email, other.password).status_code == 302


def test_failures_older_than_15_minutes_do_not_count(app, client):
    account = make_user(app)
    add_failures(app, account.email, 10, timedelta(minutes=16))
    assert login(client, account.email, account.password).status_code == 302


def test_failures_within_15_minutes_count(app, client):
    account = make_user(app)
    add_failures(app, account.email, 5, timedelta(minutes=14))
    assert login(client, account.email, account.password).status_code == 429


def test_twenty_failures_from_one_address_block_it(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    token = form_token(client.get("/connexion").get_data(as_text=True))
    for number in range(accounts.MAX_FAILURES_PER_ADDRESS):
        answer = client.post(
            "/connexion",
            data={
                "csrf_token": token,
                "email": f"guess-{number}@example.org",
                "password": "a wrong password!",
            },
        )
        assert answer.status_code == 401, (number, answer.status_code)
    account = make_user(app)
    answer = client.post(
        "/connexion",
        data={"csrf_token": token, "email": account.email, "password": account.password},
        headers=EN,
    )
    assert answer.status_code == 429
    assert "Too many failed attempts" in answer.get_data(as_text=True)
    assert attempts(app, account.email) == []
    # The same account from another address logs in.
    assert login(app.test_client(), account.email, account.password).status_code == 302


def test_the_address_is_stored_keyed_not_in_clear(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    fail(client, unique_email(), 1)
    with app.app_context():
        stored = db.session.scalar(select(LoginAttempt.address_hash))
    assert "203.0.113.9" not in stored
    assert stored == accounts.address_hash("203.0.113.9", app.secret_key)


# --------------------------------------------------------------------------- session cookie


def test_session_cookie_is_httponly_and_lax_over_http(app, client):
    account = make_user(app)
    answer = login(client, account.email, account.password)
    assert answer.status_code == 302
    flags = cookie_flags(session_cookie(answer))
    assert "httponly" in flags
    assert "samesite=lax" in session_cookie(answer).lower().replace(" ", "")
    assert "secure" not in flags


def test_session_cookie_is_secure_over_https(app, client):
    account = make_user(app)
    answer = login(
        client,
        account.email,
        account.password,
        base_url=HTTPS,
        headers={"Referer": f"{HTTPS}/connexion"},
    )
    assert answer.status_code == 302, answer.status_code
    header = session_cookie(answer)
    flags = cookie_flags(header)
    assert {"httponly", "secure"} <= flags
    assert "samesite=lax" in header.lower().replace(" ", "")
    assert client.get("/campagnes", base_url=HTTPS).status_code == 200


# --------------------------------------------------------------------------- password change


def change_password(client, current: str, new: str, confirm: str | None = None):
    page = client.get("/compte")
    token = form_token(page.get_data(as_text=True), "password-csrf_token")
    return client.post(
        "/compte",
        data={
            "action": "password",
            "password-csrf_token": token,
            "password-current": current,
            "password-new": new,
            "password-confirm": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    ("current", "new", "confirm"),
    [
        ("not the current password", "a brand new password", None),
        (PASSWORD, "too short", None),
        (PASSWORD, "a brand new password", "a different new password"),
        ("", "a brand new password", None),
    ],
    ids=["wrong-current", "too-short", "mismatch", "no-current"],
)
def test_refused_password_change_is_a_422_and_changes_nothing(app, current, new, confirm):
    account = make_user(app)
    client = logged_in(app, account)
    before = user_row(app, account.id)["password_hash"]
    answer = change_password(client, current, new, confirm)
    assert answer.status_code == 422
    assert 'class="field-error"' in answer.get_data(as_text=True)
    assert user_row(app, account.id)["password_hash"] == before
    assert login(app.test_client(), account.email, PASSWORD).status_code == 302


def test_password_change(app):
    account = make_user(app)
    client = logged_in(app, account)
    new = "a brand new password"
    answer = change_password(client, PASSWORD, new)
    assert answer.status_code == 302
    assert path_of(answer.location) == "/compte"
    stored = user_row(app, account.id)["password_hash"]
    assert stored.startswith("scrypt:") and new not in stored
    assert login(app.test_client(), account.email, new).status_code == 302
    assert login(app.test_client(), account.email, PASSWORD).status_code == 401


def test_account_page_needs_login(client):
    assert is_login_redirect(client.get("/compte"), "/compte")


def test_account_page_refuses_an_unknown_action(app):
    client = logged_in(app, make_user(app))
    token = form_token(client.get("/compte").get_data(as_text=True), "token-csrf_token")
    answer = client.post("/compte", data={"action": "delete", "token-csrf_token": token})
    assert answer.status_code == 400


# --------------------------------------------------------------------------- API token


def post_token(client, action: str = "token"):
    token = form_token(client.get("/compte").get_data(as_text=True), "token-csrf_token")
    return client.post("/compte", data={"action": action, "token-csrf_token": token})


def new_api_token(client) -> str:
    answer = post_token(client)
    assert answer.status_code == 200
    match = re.search(
        r'<input\b[^>]*id="api-token"[^>]*value="([^"]+)"', answer.get_data(as_text=True)
    )
    assert match, "the new token is not in the page"
    return match.group(1)


def summary_with(app, public_id: str, authorization: str | None):
    headers = {} if authorization is None else {"Authorization": authorization}
    return app.test_client().get(f"/api/v1/campaigns/{public_id}/summary", headers=headers)


def assert_api_401(answer) -> None:
    assert answer.status_code == 401
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "details"}
    assert body["error"]


def test_api_token_is_shown_once_and_stored_hashed(app):
    account = make_user(app)
    client = logged_in(app, account)
    token = new_api_token(client)
    assert len(token) >= 32
    row = user_row(app, account.id)
    assert row["api_token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.values()
    page = client.get("/compte").get_data(as_text=True)
    assert token not in page
    assert 'id="api-token"' not in page


def test_api_token_reads_the_owners_campaign(app):
    account = make_user(app)
    public_id = make_campaign(app, account)
    token = new_api_token(logged_in(app, account))
    answer = summary_with(app, public_id, f"Bearer {token}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["id"] == public_id
    assert body["territory"] == "epci:200046977"
    assert body["responses"] == {"citoyen": 0, "entreprise": 0}
    # The scheme is case-insensitive.
    assert summary_with(app, public_id, f"bearer {token}").status_code == 200


def test_api_token_does_not_open_another_organisers_campaign(app):
    owner = make_user(app)
    public_id = make_campaign(app, owner)
    token = new_api_token(logged_in(app, make_user(app)))
    answer = summary_with(app, public_id, f"Bearer {token}")
    assert answer.status_code == 404
    assert set(answer.get_json()) == {"error", "details"}
    assert "Diagnostic" not in answer.get_data(as_text=True)


def test_replaced_and_revoked_tokens_are_refused(app):
    account = make_user(app)
    public_id = make_campaign(app, account)
    client = logged_in(app, account)
    first = new_api_token(client)
    second = new_api_token(client)
    assert first != second
    assert_api_401(summary_with(app, public_id, f"Bearer {first}"))
    assert summary_with(app, public_id, f"Bearer {second}").status_code == 200
    answer = post_token(client, "revoke")
    assert answer.status_code == 302
    assert user_row(app, account.id)["api_token_hash"] is None
    assert_api_401(summary_with(app, public_id, f"Bearer {second}"))


def test_a_deactivated_accounts_token_is_refused(app):
    account = make_user(app)
    public_id = make_campaign(app, account)
    token = new_api_token(logged_in(app, account))
    with app.app_context():
        accounts.set_active(db.session.get(User, account.id), False)
    assert_api_401(summary_with(app, public_id, f"Bearer {token}"))


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic x",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Token abc",
        "Bearer " + "x" * 200,
        "Bearer nope",
    ],
)
def test_malformed_or_unknown_authorization_is_a_401(app, authorization):
    account = make_user(app)
    public_id = make_campaign(app, account)
    assert_api_401(summary_with(app, public_id, authorization))


def test_no_session_and_no_header_is_a_401(app):
    account = make_user(app)
    public_id = make_campaign(app, account)
    assert_api_401(summary_with(app, public_id, None))


def test_a_header_wins_over_the_session(app):
    """A logged-in browser sending a bad token is refused: the header is never ignored."""
    account = make_user(app)
    public_id = make_campaign(app, account)
    client = logged_in(app, account)
    url = f"/api/v1/campaigns/{public_id}/summary"
    assert client.get(url).status_code == 200
    assert_api_401(client.get(url, headers={"Authorization": "Bearer wrong"}))


# --------------------------------------------------------------------------- administration


def created_password(html: str) -> str:
    match = re.search(r'role="status">.*?<code>([^<]+)</code>', html, re.DOTALL)
    assert match, "no generated password in the page"
    return match.group(1)


def create_through_page(client, email: str, role: str = "organiser", name: str = ""):
    page = client.get("/admin/utilisateurs")
    token = form_token(page.get_data(as_text=True))
    return client.post(
        "/admin/utilisateurs",
        data={"csrf_token": token, "email": email, "name": name, "role": role},
    )


def set_active_through_page(client, user_id: int, action: str = "desactiver"):
    token = form_token(client.get("/admin/utilisateurs").get_data(as_text=True))
    return client.post(f"/admin/utilisateurs/{user_id}/{action}", data={"csrf_token": token})


def test_users_page_needs_login(client):
    assert is_login_redirect(client.get("/admin/utilisateurs"), "/admin/utilisateurs")


def test_organisers_do_not_see_the_users_page(app):
    organiser = make_user(app)
    other = make_user(app)
    client = logged_in(app, organiser)
    assert client.get("/admin/utilisateurs").status_code == 404
    token = form_token(client.get("/compte").get_data(as_text=True), "token-csrf_token")
    created = client.post(
        "/admin/utilisateurs", data={"csrf_token": token, "email": unique_email(), "role": "admin"}
    )
    assert created.status_code == 404
    deactivated = client.post(
        f"/admin/utilisateurs/{other.id}/desactiver", data={"csrf_token": token}
    )
    assert deactivated.status_code == 404
    assert user_row(app, other.id)["active"] is True
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_admins_see_the_accounts(app):
    admin = make_user(app, "admin")
    organiser = make_user(app)
    page = logged_in(app, admin).get("/admin/utilisateurs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert admin.email in html and organiser.email in html
    assert f"/admin/utilisateurs/{organiser.id}/desactiver" in html
    assert f"/admin/utilisateurs/{admin.id}/" not in html


@pytest.mark.parametrize("role", ["organiser", "admin"])
def test_admin_creates_an_account_whose_password_is_shown_once(app, role):
    admin = make_user(app, "admin")
    client = logged_in(app, admin)
    email = unique_email("Created")
    answer = create_through_page(client, email.upper(), role, "Ville de Villeurbanne")
    assert answer.status_code == 200
    password = created_password(answer.get_data(as_text=True))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email.lower()))
        assert user is not None
        assert (user.role, user.name, user.active) == (role, "Ville de Villeurbanne", True)
        assert password not in user.password_hash
    assert password not in client.get("/admin/utilisateurs").get_data(as_text=True)
    newcomer = app.test_client()
    assert login(newcomer, email, password).status_code == 302
    assert newcomer.get("/admin/utilisateurs").status_code == (200 if role == "admin" else 404)


def test_admin_cannot_create_a_duplicate(app):
    admin = make_user(app, "admin")
    organiser = make_user(app)
    client = logged_in(app, admin)
    answer = create_through_page(client, organiser.email.upper())
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'class="field-error"' in html
    assert "<code>" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_admin_cannot_create_an_account_without_a_valid_email(app, email):
    client = logged_in(app, make_user(app, "admin"))
    assert create_through_page(client, email).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_admin_cannot_create_an_unknown_role(app):
    client = logged_in(app, make_user(app, "admin"))
    assert create_through_page(client, unique_email(), "superuser").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_admin_deactivates_and_reactivates_another_account(app):
    admin = make_user(app, "admin")
    organiser = make_user(app)
    organiser_client = logged_in(app, organiser)
    client = logged_in(app, admin)
    answer = set_active_through_page(client, organiser.id)
    assert answer.status_code == 302
    assert path_of(answer.location) == "/admin/utilisateurs"
    assert user_row(app, organiser.id)["active"] is False
    assert login(app.test_client(), organiser.email, organiser.password).status_code == 401
    assert is_login_redirect(organiser_client.get("/campagnes"))
    answer = set_active_through_page(client, organiser.id, "activer")
    assert answer.status_code == 302
    assert user_row(app, organiser.id)["active"] is True
    assert login(app.test_client(), organiser.email, organiser.password).status_code == 302


def test_deactivating_needs_csrf_and_post(app):
    admin = make_user(app, "admin")
    organiser = make_user(app)
    client = logged_in(app, admin)
    url = f"/admin/utilisateurs/{organiser.id}/desactiver"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400
    assert user_row(app, organiser.id)["active"] is True


def test_admin_cannot_deactivate_themselves_or_nobody(app):
    admin = make_user(app, "admin")
    client = logged_in(app, admin)
    assert set_active_through_page(client, admin.id).status_code == 404
    assert user_row(app, admin.id)["active"] is True
    assert client.get("/admin/utilisateurs").status_code == 200
    assert set_active_through_page(client, admin.id + 1000).status_code == 404
