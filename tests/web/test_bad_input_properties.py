"""Bad input, generated with hypothesis: the JSON API, a questionnaire section, a workshop
participant's answer, the login form, the territory search and the addresses that hold a token,
a code or a key answer every input with a success when it is valid, otherwise with a 4xx that says
what is wrong (the API's JSON error, the page's error summary or notice, the error page); never
with a 5xx. What they refuse leaves the database as it was; what they accept changes it as
expected.

The inputs mix valid values with out-of-range and non-numeric ones, 2**31, floats on integer
scales, wrong types, missing, repeated and unknown fields, NUL bytes, right-to-left and zero-width
characters, 1 MB strings, deep nesting, SQL and script payloads, in every text, id, path and
header. Each test runs about 120 cases for `make test`, 1,000 with HYPOTHESIS_PROFILE=full (the
profiles are in tests/conftest.py). The examples of a test share its client and one started
response, put back as they were after every accepted input.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" decoding error handler)
from hypothesis import assume, event, example, given, note
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from werkzeug.security import generate_password_hash

from diagnostic.extensions import db
from diagnostic.models import Answer, LoginAttempt, Response, User, Workshop
from diagnostic.services import accounts, territories, workshops
from questionnaires import AnswerError, check_value, load_catalog, shown_questions
from questionnaires.loader import DEFINITIONS_DIR
from tests.conftest import Respondent, csrf_token

CATALOG = load_catalog(DEFINITIONS_DIR)
FULL = ["citoyen", "entreprise", "association", "elu"]
QUESTIONNAIRES = [*FULL, "atelier"]
KNOWN_KEYS = ["commune:69123", "commune:69266", "commune:97411", "departement:69",
              "epci:200046977", "region:84"]
UNKNOWN_KEYS = ["commune:99999", "region:00", "pays:ZZ", "epci:1", "commune:691230"]
RESPONSE_KEYS = {"questionnaire", "territory", "answers", "language"}
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")
TERRITORY_KEY = re.compile(r"(pays|region|departement|epci|commune):[0-9A-Za-z]{1,12}")
SURROGATE = re.compile("[\ud800-\udfff]")
ACTIONS = ("next", "previous", "pause", "search")
PASSWORD = "un mot de passe assez long pour les propriétés"
QUICK_HASH = "pbkdf2:sha256:1"
MEGABYTE = 1024 * 1024
XSS = 'alert("xss")'

PAYLOADS = [
    "", " ", "\t", "\r\n", "\x00", "a\x00b", "\x00" * 20, "\x01\x1f\x7f", "\u0085", "\u2028",
    # Right-to-left and zero-width characters.
    "\u202e", "\u202egnp.exe", "\u200f\u200e", "\u200b", "\u200b\u200c\u200d\u2060\ufeff",
    "\u2066x\u2069", "مرحبا", "שלום", "e\u0301\u0301\u0301", "\ufffd", "😀", "\U0010ffff",
    # SQL.
    "' OR '1'='1", "'; DROP TABLE response; --", '" OR ""="', "1; SELECT pg_sleep(5)",
    "1 UNION SELECT token_hash FROM response --", "commune:69123' --", "elu'--", "%' OR 1=1 --",
    "%", "_", "\\", "\\x00", "%00", "0x00", "$1", "?", ":name",
    # Script and templates.
    f"<script>{XSS}</script>", f'"><img src=x onerror={XSS}>', f"javascript:{XSS}",
    "{{7*7}}", "{% raw %}", "${7*7}", "<!--", "]]>", "&amp;", "&#0;",
    # Paths and encodings.
    "../../etc/passwd", "%2e%2e%2f", "/", "//evil.example", "a/b", "#", "?x=1", "%ff", "+",
    # Numbers in words.
    "NaN", "Infinity", "-1", "0", "11", "2147483648", "1e309", "0x10", "3.0", "3,5", " 3 ",
    "٣", "１２", "½", "nsp", "NSP", "null", "None", "true", "[]", "{}",
    # Valid-looking values.
    "oui", "non", "citoyen", "elu", "commune:69123", "lyon", "69100",
]
#: JSON only: a form or a URL cannot carry an unpaired surrogate (it arrives re-encoded).
SURROGATES = ["\ud800", "a\udfffb", "\udc80\ud800", "\ud83d"]
#: Long texts, as (character, times): at and over a free text's 2,000 characters, and more.
LONG = [("é", 300), ("x", 2000), ("x", 2001), ("\u200b", 2000), ("y", 70_000)]
#: About a megabyte: over the 1 MB accepted, and just under it.
BIG = [("x", MEGABYTE), ("\u202e", 350_000), ("z", 600_000)]


def repeated(pair: tuple[str, int]) -> str:
    character, times = pair
    return character * times


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, drawn with the weights given (the first shrinks best)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


def texts(big: bool = True, surrogates: bool = False, latin1: bool = False) -> st.SearchStrategy:
    """Texts with a bad intent or a bad shape: the payloads, random text, the payloads inside
    random text, long texts; about a megabyte with `big`; a header's characters with `latin1`."""
    payloads = PAYLOADS + (SURROGATES if surrogates else [])
    alphabet = st.characters(exclude_categories=() if surrogates else ("Cs",))
    long = st.sampled_from(LONG).map(repeated)
    if latin1:  # a header's value
        payloads = [p for p in payloads if all(ord(c) < 256 for c in p)
                    and "\r" not in p and "\n" not in p]
        alphabet = st.characters(max_codepoint=255, exclude_characters="\r\n")
        long = st.sampled_from([("x", 2000), ("A", 129)]).map(repeated)
    sampled = st.sampled_from(payloads)
    choices = [
        (8, sampled),
        (6, st.text(alphabet, max_size=30)),
        (4, st.builds(lambda a, p, b: a + p + b, st.text(alphabet, max_size=8), sampled,
                      st.text(alphabet, max_size=8))),
        (1, long),
    ]
    if big:
        choices.append((1, st.sampled_from(BIG).map(repeated)))
    return weighted(*choices)


# --------------------------------------------------------------------------- checks


def explained_json(answer, size: int = 16_384) -> dict:
    """A JSON error `{"error", "details"}` with a message, that does not echo a huge input."""
    assert answer.mimetype == "application/json", answer.mimetype
    error = answer.get_json()
    assert set(error) == {"error", "details"}, error
    assert isinstance(error["error"], str) and error["error"].strip()
    assert len(answer.get_data()) < size
    return error


def explained_html(answer) -> None:
    """A page that says what is wrong: the form's error summary, an error notice or the error
    page (never a raw script from the input)."""
    assert answer.mimetype == "text/html", answer.mimetype
    body = answer.get_data(as_text=True)
    assert ('id="error-summary"' in body or 'class="notice notice-error"' in body
            or re.search(rf'<p class="small">(Erreur|Error) {answer.status_code}</p>', body)), (
        answer.status_code, body[:2000])
    assert XSS not in body


def safe_html(answer) -> None:
    if answer.mimetype == "text/html":
        assert XSS not in answer.get_data(as_text=True)


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """An urlencoded body, fields in this order (repeated names kept), any text encodable."""
    def encode(text: str) -> str:
        return quote_plus(text.encode("utf-8", "surrogatepass"))

    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs).encode("ascii")


def received(body: bytes) -> list[tuple[str, str]]:
    """The fields as the application reads them (invalid UTF-8 stays percent-encoded)."""
    return parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")


def first(pairs: list[tuple[str, str]], name: str, default: str | None = None) -> str | None:
    return next((value for key, value in pairs if key == name), default)


def values_of(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in pairs if key == name]


def path_segment(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def answers_of(app, response_id: int) -> dict[str, Any]:
    with app.app_context():
        db.session.expire_all()
        return dict(db.session.execute(
            select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)
        ).all())


def response_state(app, response_id: int) -> tuple:
    with app.app_context():
        db.session.expire_all()
        row = db.session.get(Response, response_id)
        return (row.status, row.current_section, row.territory, row.region_code, row.actor,
                row.completed_at)


def snapshot(app, db_counts, response_id: int) -> tuple:
    """Row counts of the response tables, with one response's answers and state."""
    return db_counts(), answers_of(app, response_id), response_state(app, response_id)


def put_back(app, response_id: int, answers: dict[str, Any], state: tuple) -> None:
    """Give a response back the answers and state it had before an accepted submission."""
    status, current_section, territory, region_code, actor, completed_at = state
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(Answer).where(Answer.response_id == response_id))
        for question_id, value in answers.items():
            db.session.add(Answer(response_id=response_id, question_id=question_id, value=value))
        db.session.execute(update(Response).where(Response.id == response_id).values(
            status=status, current_section=current_section, territory=territory,
            region_code=region_code, actor=actor, completed_at=completed_at))
        db.session.commit()


def forget_flashes(client) -> None:
    """Messages flashed before a redirect nobody follows would pile up in the session cookie."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)


@pytest.fixture
def unlimited(app, monkeypatch):
    """Hundreds of submissions a minute with one token: the rate limit is tested elsewhere."""
    monkeypatch.setitem(app.config, "SUBMISSIONS_PER_MINUTE", 10**9)


def known_territory(app, key: Any) -> bool:
    if not isinstance(key, str) or not TERRITORY_KEY.fullmatch(key):
        return False
    if key in KNOWN_KEYS:
        return True
    with app.app_context():
        return territories.get_territory(key) is not None


# --------------------------------------------------------------------------- JSON values


class Raw:
    """JSON text put as it is into a body: deep nesting, a number too long to read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:20]!r}… {len(self.text)} characters)"


class Pairs:
    """A JSON object written with its members in this order, a repeated name included (the
    last one counts when it is read)."""

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self.items = items

    def __repr__(self) -> str:
        return f"Pairs({self.items!r})"


REFUSED = object()  # a value no question accepts (a Raw one)


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items) + "}"
    if isinstance(value, dict):
        return dumps(Pairs(list(value.items())))
    if isinstance(value, list):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value)


def parsed(value: Any) -> Any:
    """The value the application reads from `dumps(value)`."""
    if isinstance(value, Raw):
        return REFUSED
    if isinstance(value, Pairs):
        return {k: parsed(v) for k, v in value.items}
    if isinstance(value, dict):
        return {k: parsed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [parsed(item) for item in value]
    return value


def contains_refused(value: Any) -> bool:
    if value is REFUSED:
        return True
    if isinstance(value, dict):
        return any(contains_refused(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_refused(v) for v in value)
    return False


def has_raw(value: Any) -> bool:
    if isinstance(value, Raw):
        return True
    if isinstance(value, Pairs):
        return any(has_raw(v) for _, v in value.items)
    if isinstance(value, dict):
        return any(has_raw(v) for v in value.values())
    if isinstance(value, list):
        return any(has_raw(v) for v in value)
    return False


def shadowed_raw(value: Any) -> bool:
    """Whether a Raw value is hidden by a repeated name after it: the body may then be read (a
    shallow nesting) or not (too deep, a number too long), whatever the value that counts."""
    if isinstance(value, Pairs):
        names = [name for name, _ in value.items]
        return any((has_raw(v) and name in names[index + 1:]) or shadowed_raw(v)
                   for index, (name, v) in enumerate(value.items))
    return False


def nested(depth: int) -> Raw:
    return Raw("[" * depth + "]" * depth)


JSON_TEXTS = texts(surrogates=True)
JSON_SCALARS = weighted(
    (1, st.none()),
    (1, st.booleans()),
    (2, st.integers()),
    (2, st.sampled_from([2**31, 2**31 - 1, -(2**31), 2**63, -(2**63) - 1, 10**100, 0, -1, 1, 4,
                         5, 10, 11, 12])),
    (2, st.floats(allow_nan=True, allow_infinity=True)),
    (1, st.sampled_from([3.0, 2.5, 4.0000001, 1e308, -0.0, 10.0])),
    (3, JSON_TEXTS),
)
JSON_KEYS = texts(big=False, surrogates=True)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(JSON_KEYS, children, max_size=3),
    max_leaves=6,
)
RAW_VALUES = st.one_of(
    st.integers(2, 1000).map(nested),
    st.sampled_from([5000, 200_000]).map(nested),
    st.just(Raw("1" + "0" * 5000)),
    st.just(Raw('{"a": ' * 3000 + "1" + "}" * 3000)),
)
ANY_JSON = weighted((6, JSON_VALUES), (1, RAW_VALUES))


def valid_answer(question, territory: Any) -> st.SearchStrategy:
    """An answer the question accepts (through the API)."""
    dont_know = [st.none()] if question.offers_dont_know else []
    options = [option.value for option in question.options]
    if question.type == "scale":
        values = st.sampled_from([item.value for item in question.scale.values])
    elif question.type == "choice":
        values = st.sampled_from(options)
    elif question.type == "multi_choice":
        values = st.lists(st.sampled_from(options), unique=True)
    elif question.type == "ranking":
        values = st.lists(st.sampled_from(options), unique=True, max_size=question.max_choices)
    elif question.type == "text":
        values = st.one_of(
            st.text(max_size=60),
            st.sampled_from([p for p in PAYLOADS if "\x00" not in p]),
            st.sampled_from([("x", 2000), ("\u200b", 2000)]).map(repeated),
        )
    elif question.type == "territory":
        values = st.just(territory)
    else:  # pragma: no cover - the shipped questionnaires have no other type
        raise AssertionError(question.type)
    return st.one_of(values, *dont_know)


def api_answer_ok(question, value: Any, territory: Any) -> bool:
    """Whether the API must accept `value` as the answer to `question` (the rules of the
    questionnaire: type, scale, options, length, and storable text)."""
    if value is None:
        return question.offers_dont_know
    kind = question.type
    options = {option.value for option in question.options}
    if kind == "scale":
        return any(type(item.value) is type(value) and item.value == value
                   for item in question.scale.values)
    if kind == "choice":
        return isinstance(value, str) and value in options
    if kind in ("multi_choice", "ranking"):
        return (isinstance(value, list) and all(isinstance(v, str) and v in options
                                                for v in value)
                and len(set(value)) == len(value)
                and (kind == "multi_choice" or len(value) <= question.max_choices))
    if kind == "text":
        return (isinstance(value, str) and len(value.strip()) <= question.max_length
                and "\x00" not in value and not SURROGATE.search(value))
    if kind == "territory":
        return isinstance(value, str) and value == territory
    raise AssertionError(kind)


@dataclass
class ApiRequest:
    data: bytes
    content_type: str | None
    key: str | None
    body: Any = field(repr=False)  # what the application reads, REFUSED when it cannot
    doubtful: bool = False  # whether the body may not be read at all (see `shadowed_raw`)

    def __repr__(self) -> str:
        data = self.data if len(self.data) <= 2000 else (
            self.data[:1000] + b"..." + self.data[-200:])
        return (f"ApiRequest(data={data!r} ({len(self.data)} bytes), "
                f"content_type={self.content_type!r}, key={self.key!r}, "
                f"doubtful={self.doubtful})")


CONTENT_TYPES = ["application/json; charset=utf-8", "application/merge-patch+json",
                 "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", None]
RAW_BODIES = [b"", b"[]", b"null", b'"elu"', b"1", b"{", b'{"questionnaire": "\xff"}',
              b"\xef\xbb\xbf{}", b"{}", b"\x00", b'{"questionnaire": "elu",}', b"NaN",
              b'{"questionnaire": "elu", "territory": "commune:69123"' + b" " * 10]
KEY_POOL = ["cle-de-test-0000001", "K" * 16, "k_" * 40, "Z" * 128]


@st.composite
def api_requests(draw) -> ApiRequest:
    clean = draw(st.integers(0, 9)) < 3  # a third of the bodies are made to be accepted

    def pick(valid: st.SearchStrategy, bad: st.SearchStrategy, bad_weight: int = 1):
        return draw(valid if clean else weighted((3, valid), (bad_weight, bad)))

    def present(odds: int = 9) -> bool:
        return clean or draw(st.integers(0, 9)) < odds

    questionnaire_id = pick(st.sampled_from(QUESTIONNAIRES), st.one_of(JSON_TEXTS, ANY_JSON))
    questionnaire = CATALOG.get(questionnaire_id) if isinstance(questionnaire_id, str) else None
    questions = (questionnaire or CATALOG.get(draw(st.sampled_from(FULL)))).questions
    territory = pick(st.sampled_from(KNOWN_KEYS), st.one_of(
        st.sampled_from(UNKNOWN_KEYS), JSON_TEXTS, ANY_JSON,
        st.sampled_from(KNOWN_KEYS).map(lambda key: key.upper()),
        st.sampled_from(KNOWN_KEYS).map(lambda key: f" {key}"),
        st.sampled_from(KNOWN_KEYS).map(lambda key: key + "\x00")))
    members: list[tuple[str, Any]] = []
    if present():
        members.append(("questionnaire", questionnaire_id))
    if present():
        members.append(("territory", territory))
    if present(4):
        members.append(("language", pick(st.sampled_from(["fr", "en"]), ANY_JSON)))
    if present(8):
        if clean or draw(st.integers(0, 9)) < 8:
            answers = []
            for _ in range(draw(st.integers(0, 6))):
                question = draw(st.sampled_from(questions))
                key = question.id if clean or draw(st.integers(0, 9)) else draw(JSON_KEYS)
                value = pick(valid_answer(question, territory), ANY_JSON, 2)
                answers.append((key, value))
            members.append(("answers", Pairs(answers)))
        else:
            members.append(("answers", draw(ANY_JSON)))
    if not clean:
        for _ in range(draw(weighted((8, st.just(0)), (1, st.integers(1, 3))))):
            members.append((draw(weighted((1, st.sampled_from(sorted(RESPONSE_KEYS))),
                                          (2, JSON_KEYS))), draw(ANY_JSON)))
    members = draw(st.permutations(members))
    if clean or draw(st.integers(0, 19)):
        body: Any = Pairs(members)
        data = dumps(body).encode("utf-8")
    elif draw(st.booleans()):
        data = draw(st.sampled_from(RAW_BODIES))
        body = REFUSED
    else:
        body = draw(ANY_JSON)  # a body that is not an object
        data = dumps(body).encode("utf-8")
    content_type = "application/json" if clean or draw(st.integers(0, 9)) else draw(
        st.sampled_from(CONTENT_TYPES))
    key = draw(weighted(
        (8, st.none()),
        (2, st.sampled_from(KEY_POOL)),
        (1, st.from_regex(IDEMPOTENCY_KEY, fullmatch=True)),
        (0 if clean else 1, texts(big=False, latin1=True)),
    ))
    return ApiRequest(data, content_type, key, parsed(body), shadowed_raw(body))


def api_request(body: Any, content_type: str | None = "application/json",
                key: str | None = None) -> ApiRequest:
    return ApiRequest(dumps(body).encode("utf-8"), content_type, key, parsed(body),
                      shadowed_raw(body))


def is_json(content_type: str | None) -> bool:
    mimetype = (content_type or "").split(";")[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json"))


def api_refusal(app, body: Any) -> str | None:
    """Why the API must refuse this body (None: it must accept it)."""
    if body is REFUSED:
        return "not JSON, or nested deeper than can be read"
    if not isinstance(body, dict):
        return "not an object"
    if set(body) - RESPONSE_KEYS:
        return "unknown field"
    questionnaire_id = body.get("questionnaire")
    questionnaire = CATALOG.get(questionnaire_id) if isinstance(questionnaire_id, str) else None
    if questionnaire is None:
        return "questionnaire"
    territory = body.get("territory")
    if not known_territory(app, territory):
        return "territory"
    if body.get("language", "fr") not in ("fr", "en"):
        return "language"
    answers = body.get("answers", {})
    if not isinstance(answers, dict):
        return "answers"
    for question_id, value in answers.items():
        question = questionnaire.question(question_id)
        if question is None:
            return f"unknown question {question_id!r}"
        if contains_refused(value) or not api_answer_ok(question, value, territory):
            return f"answer to {question_id}"
    return None


@pytest.fixture
def stored_keys() -> dict[str, str]:
    """Idempotency keys of the responses the API stored during the test: their token."""
    return {}


@given(sent=api_requests())
# Found by these tests, kept as examples: a NUL byte or an unpaired surrogate in a free text
# (PostgreSQL refuses to store them: a 500), nesting deeper than Python's JSON reader goes (a
# RecursionError: a 500 on both databases).
@example(sent=api_request({"questionnaire": "elu", "territory": "commune:69123",
                           "answers": {"commentaire": "a\x00b"}}))
@example(sent=api_request({"questionnaire": "elu", "territory": "commune:69123",
                           "answers": {"commentaire": "\ud800"}}))
@example(sent=api_request(nested(100_000)))
@example(sent=api_request({"questionnaire": "elu", "territory": "commune:69123",
                           "answers": {"conf_mefiance": nested(2_000)}}))
def test_api_responses(app, client, db_counts, stored_keys, sent: ApiRequest):
    """POST /api/v1/responses: 201 with the scores for a valid response (200 for a retry with
    the same Idempotency-Key), else a JSON 4xx that names the problem and nothing stored."""
    headers = {} if sent.key is None else {"Idempotency-Key": sent.key}
    key_valid = sent.key is not None and IDEMPOTENCY_KEY.fullmatch(sent.key)
    if sent.key is not None and not key_valid:
        assume(not IDEMPOTENCY_KEY.fullmatch(sent.key.strip(" \t")))
    before = db_counts()
    answer = client.post("/api/v1/responses", data=sent.data,
                         content_type=sent.content_type, headers=headers)
    note(f"{answer.status_code} {answer.get_data()[:300]!r}")
    assert answer.status_code < 500
    event(f"status {answer.status_code}")

    if sent.key is not None and not key_valid:
        assert answer.status_code == 400
        assert "Idempotency-Key" in explained_json(answer)["details"]
    elif key_valid and sent.key in stored_keys:
        assert answer.status_code == 200  # the same submission, sent again
        assert answer.get_json()["token"] == stored_keys[sent.key]
    elif not is_json(sent.content_type):
        assert answer.status_code == 415
        explained_json(answer)
    elif len(sent.data) > MEGABYTE:
        assert answer.status_code == 413
        explained_json(answer)
    else:
        refusal = api_refusal(app, sent.body)
        note(f"refusal expected: {refusal}")
        if refusal is not None or (sent.doubtful and answer.status_code == 400):
            assert answer.status_code == 400
            explained_json(answer)
        else:
            assert answer.status_code == 201, answer.get_json()
            created = answer.get_json()
            after = db_counts()
            assert after["response"] == before["response"] + 1
            assert after["response_score"] == before["response_score"] + len(created["scores"])
            given_answers = len(sent.body.get("answers", {}))
            assert 0 <= after["answer"] - before["answer"] <= given_answers + 1
            assert created["questionnaire"] == sent.body["questionnaire"]
            assert created["territory"] == sent.body["territory"]
            if key_valid:
                stored_keys[sent.key] = created["token"]
            return
    assert db_counts() == before


# --------------------------------------------------------------------------- form values


FORM_TEXTS = texts(big=False, surrogates=True)  # unpaired surrogates arrive percent-encoded


def valid_form_values(question) -> st.SearchStrategy:
    """What a browser sends for a valid answer: the field's values (several boxes ticked)."""
    dont_know = [st.just(["nsp"])] if question.offers_dont_know else []
    options = [option.value for option in question.options]
    if question.type == "scale":
        values = st.sampled_from([str(item.value) for item in question.scale.values]).map(
            lambda value: [value])
    elif question.type == "choice":
        values = st.sampled_from(options).map(lambda value: [value])
    elif question.type == "multi_choice":
        values = st.lists(st.sampled_from(options), unique=True)
    elif question.type == "ranking":
        values = st.lists(st.sampled_from(options), unique=True, max_size=question.max_choices)
    elif question.type == "text":
        values = st.one_of(
            st.text(max_size=60),
            st.sampled_from([p for p in PAYLOADS if "\x00" not in p]),
            st.sampled_from([("x", 2000), ("é", 300)]).map(repeated),
        ).map(lambda value: [value])
    elif question.type == "territory":
        values = st.sampled_from([*KNOWN_KEYS[:3], ""]).map(lambda value: [value])
    else:  # pragma: no cover
        raise AssertionError(question.type)
    return st.one_of(values, *dont_know)


def field_values(question, clean: bool = False) -> st.SearchStrategy:
    """The values posted for a question's field: valid, absent, tampered or repeated."""
    if clean:
        return weighted((3, valid_form_values(question)), (1, st.just([])))
    return weighted(
        (4, valid_form_values(question)),
        (2, st.just([])),
        (3, st.lists(FORM_TEXTS, min_size=1, max_size=3)),
        (1, valid_form_values(question).map(lambda values: values * 2)),
        (1, st.lists(st.one_of(valid_form_values(question).map(lambda v: v[0] if v else ""),
                               FORM_TEXTS), min_size=2, max_size=4)),
    )


UNANSWERED = object()
BAD = object()


def form_answer(app, question, values: list[str], enforce_required: bool) -> Any:
    """The answer a form field holds once received: its value, UNANSWERED, or BAD (refused)."""
    values = [value.strip() for value in values if value.strip() != ""]
    if not values:
        return BAD if question.required and enforce_required else UNANSWERED
    if "nsp" in values:
        return None if len(values) == 1 and question.offers_dont_know else BAD
    options = {option.value for option in question.options}
    if question.type in ("multi_choice", "ranking"):
        if not all(value in options for value in values) or len(set(values)) < len(values):
            return BAD
        if question.type == "ranking" and len(values) > question.max_choices:
            return BAD
        return values
    if len(values) > 1:
        return BAD
    value = values[0]
    if question.type == "scale":
        return next((item.value for item in question.scale.values if str(item.value) == value),
                    BAD)
    if question.type == "choice":
        return value if value in options else BAD
    if question.type == "text":
        ok = len(value) <= question.max_length and "\x00" not in value
        return value if ok else BAD
    if question.type == "territory":
        return value if known_territory(app, value) else BAD
    raise AssertionError(question.type)


CSRF_MODES = weighted((12, st.just("valid")), (1, st.just("valid first")),
                      (1, st.just("missing")), (1, st.just("garbage")),
                      (1, st.just("garbage first")))


def with_csrf(mode: str, token: str, garbage: str) -> list[tuple[str, str]]:
    return {
        "valid": [("csrf_token", token)],
        "missing": [],
        "garbage": [("csrf_token", garbage)],
        "garbage first": [("csrf_token", garbage), ("csrf_token", token)],
        "valid first": [("csrf_token", token), ("csrf_token", garbage)],
    }[mode]


def csrf_ok(mode: str) -> bool:
    return mode in ("valid", "valid first")


def extra_fields(draw, taken: set[str]) -> list[tuple[str, str]]:
    """Unknown fields: random names, other questions' fields; now and then 600 of them, or one
    of about a megabyte."""
    count = draw(weighted((24, st.just(0)), (8, st.integers(1, 3)), (1, st.just(600)),
                          (1, st.just(-1))))
    if count == 600:
        return [("x_filler", "1")] * count
    if count == -1:
        return [(draw(st.sampled_from(["item_commentaire", "x_big", "password", "email"])),
                 repeated(draw(st.sampled_from(BIG))))]
    extras = []
    for _ in range(count):
        name = draw(st.one_of(
            FORM_TEXTS.map(lambda text: "x_" + text[:100]),
            st.sampled_from(["item_nope", "item_", "item_conf_mefiance", "item_territoire",
                             "submit", "item_levier", "confirmer", "next"]),
        ))
        if name not in taken:
            extras.append((name, draw(texts(big=False))))
    return extras


# --------------------------------------------------------------------------- a section


@dataclass
class SectionPost:
    questionnaire: str
    number: int
    fields: list[tuple[str, str]]
    action: list[str]
    csrf: str
    garbage: str
    step: str | None = None  # the step in the address when it is not `number`


STEPS = ["0", "8", "9", "99", "2147483648", "9223372036854775808", "1" + "0" * 40, "-1", "+1",
         "1.0", "01", "001", "٣", "３", " 1", "1 ", "un", "\x00", "1\x00", "", "1/", "1;", "1'"]


@st.composite
def section_posts(draw) -> SectionPost:
    clean = draw(st.integers(0, 9)) < 3  # a third of the pages are filled in properly
    questionnaire = CATALOG.get(draw(st.sampled_from(FULL)))
    number = draw(st.integers(1, len(questionnaire.sections)))
    questions = shown_questions(questionnaire, questionnaire.sections[number - 1], {})
    fields: list[tuple[str, str]] = []
    for question in questions:
        fields += [(f"item_{question.id}", value) for value in draw(field_values(question, clean))]
        if question.type == "territory" and not clean and draw(st.integers(0, 9)) == 0:
            fields.append((f"item_{question.id}_q", draw(weighted(
                (1, st.sampled_from(["lyon", "69100", "saint-denis", "Villeurbanne"])),
                (2, FORM_TEXTS)))))
    if not clean:
        fields += extra_fields(draw, {name for name, _ in fields} | {"action", "csrf_token"})
    fields = draw(st.permutations(fields))
    action = draw(weighted(
        (12, st.sampled_from(["next", "previous", "pause"]).map(lambda action: [action])),
        (0 if clean else 2, st.just(["search"])),
        (0 if clean else 2, st.just([])),
        (0 if clean else 3, st.lists(texts(big=False), min_size=1, max_size=2)),
        (0 if clean else 1, st.lists(st.sampled_from(ACTIONS), min_size=2, max_size=2)),
    ))
    step = None if clean or draw(st.integers(0, 11)) else draw(
        st.one_of(st.sampled_from(STEPS), texts(big=False)))
    return SectionPost(questionnaire.id, number, fields, action,
                       "valid" if clean else draw(CSRF_MODES), draw(texts(big=False)), step)


@pytest.fixture
def started(app, client, unlimited) -> dict[str, tuple[int, str, str]]:
    """One response started through the pages for each questionnaire: id, token, CSRF token."""
    respondent = Respondent(client)
    found = {}
    for questionnaire_id in FULL:
        token = respondent.start(questionnaire_id)
        with app.app_context():
            response_id = db.session.scalar(
                select(Response.id).order_by(Response.id.desc()).limit(1))
        found[questionnaire_id] = (response_id, token)
    csrf = csrf_token(respondent.page(1).get_data(as_text=True))
    return {key: (response_id, token, csrf) for key, (response_id, token) in found.items()}


@given(post=section_posts())
@example(post=SectionPost("elu", 7, [("item_commentaire", "a\x00b")], ["next"], "valid", ""))
@example(post=SectionPost("citoyen", 1, [("item_territoire", "commune:69123")], ["bogus"],
                          "valid", ""))
@example(post=SectionPost("citoyen", 1, [], ["next"], "valid", "", "9223372036854775808"))
def test_a_questionnaire_section(app, client, db_counts, started, post: SectionPost):
    """POST /r/<token>/etape/<n>: a valid section is saved and the respondent moves on (302);
    anything else shows the page again with its error summary (422, 400 for an expired page),
    or the error page (400 for a tampered action, 404 for a step that does not exist), and
    nothing is saved."""
    response_id, token, csrf = started[post.questionnaire]
    questionnaire = CATALOG.get(post.questionnaire)
    pairs = (with_csrf(post.csrf, csrf, post.garbage) + [("action", a) for a in post.action]
             + post.fields)
    body = form_body(pairs)
    before = snapshot(app, db_counts, response_id)
    step = str(post.number) if post.step is None else post.step
    answer = client.post(f"/r/{token}/etape/{path_segment(step)}", data=body,
                         content_type="application/x-www-form-urlencoded")
    note(f"{answer.status_code} {answer.location}")
    assert answer.status_code < 500
    event(f"status {answer.status_code}")

    # The address's step: a number of the questionnaire's sections, or no page (404).
    number = int(step) if re.fullmatch(r"\d+", step) else None
    if number is None or not 1 <= number <= len(questionnaire.sections):
        assert 400 <= answer.status_code < 500
        explained_html(answer)
        assert snapshot(app, db_counts, response_id) == before
        return
    sent = received(body) if len(body) <= MEGABYTE else []
    action = first(sent, "action", "next")
    questions = shown_questions(questionnaire, questionnaire.sections[number - 1], {})
    expected: dict[str, Any] = {}
    refused = False
    # A search for the commune decides the territory answer itself (or refuses the page).
    searched = any(question.type == "territory"
                   and (first(sent, f"item_{question.id}_q") or "").strip()
                   for question in questions)
    for question in questions:
        value = form_answer(app, question, values_of(sent, f"item_{question.id}"),
                            action in ("next", "search"))
        if value is BAD:
            refused = True
        elif value is not UNANSWERED:
            expected[question.id] = value

    if len(body) > MEGABYTE or body.count(b"&") >= app.config["MAX_FORM_PARTS"]:
        assert answer.status_code == 413
        explained_html(answer)
    elif action not in ACTIONS:
        assert answer.status_code == 400  # a tampered action: the error page
        explained_html(answer)
    elif not csrf_ok(post.csrf):
        assert answer.status_code == 400  # the page had expired: shown again, answers kept
        explained_html(answer)
    elif action == "search":
        assert answer.status_code == 200
        safe_html(answer)
    elif searched and answer.status_code == 302:
        pass  # the search named one commune: it was taken as the answer (checked below)
    elif refused or searched:
        assert answer.status_code == 422, answer.status_code
        explained_html(answer)
    else:
        assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
        stored = answers_of(app, response_id)
        assert stored == expected
        assert db_counts()["answer"] == before[0]["answer"] + len(expected)
    if answer.status_code == 302:
        assert response_state(app, response_id)[0] == "in_progress"
        forget_flashes(client)
        put_back(app, response_id, before[1], before[2])
        return
    assert snapshot(app, db_counts, response_id) == before


# --------------------------------------------------------------------------- a workshop


@pytest.fixture(scope="module")
def organiser(app):
    """An organiser account. Its password, and the one unknown addresses are checked against,
    are hashed with a single round here: a thousand log-ins would otherwise spend minutes in a
    hash that is slow on purpose (the hash itself is tested in test_accounts)."""
    email = f"proprietes-{uuid.uuid4().hex[:10]}@example.org"
    with app.app_context():
        user = accounts.create_user(email, PASSWORD)
        user.password_hash = generate_password_hash(PASSWORD, method=QUICK_HASH)
        db.session.commit()
        user_id = user.id
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_DUMMY_HASH", generate_password_hash("x", method=QUICK_HASH))
        yield user_id, email
    with app.app_context():
        db.session.rollback()
        db.session.execute(update(Response).where(Response.workshop_id.in_(
            select(Workshop.id).where(Workshop.owner_id == user_id))).values(workshop_id=None))
        db.session.execute(delete(Workshop).where(Workshop.owner_id == user_id))
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.commit()


@dataclass(frozen=True)
class Participant:
    code: str
    token: str
    response_id: int
    questions: tuple[str, ...]


@pytest.fixture
def page_csrf(client) -> str:
    """The CSRF token of the client's session (any page's form has it)."""
    return csrf_token(client.get("/connexion").get_data(as_text=True))


@pytest.fixture
def participants(app, organiser, unlimited) -> dict[str, Participant]:
    """An open workshop on the short « atelier » questionnaire and one on the last section of
    « citoyen » (its free text), each with a participant."""
    user_id, _email = organiser
    found = {}
    with app.app_context():
        owner = db.session.get(User, user_id)
        for questionnaire_id, sections in (("atelier", None), ("citoyen", ["regards"])):
            questionnaire = CATALOG.get(questionnaire_id)
            workshop = workshops.create_workshop(
                owner, "Atelier des propriétés", territories.get_territory("epci:200046977"),
                questionnaire, sections)
            response, token = workshops.join(workshop, questionnaire, "fr")
            found[questionnaire_id] = Participant(
                workshop.code, token, response.id,
                tuple(q.id for q in workshops.questions_of(workshop, questionnaire)))
    yield found
    with app.app_context():
        db.session.rollback()
        ids = select(Workshop.id).where(Workshop.owner_id == user_id)
        db.session.execute(update(Response).where(Response.workshop_id.in_(ids))
                           .values(workshop_id=None))
        db.session.execute(delete(Workshop).where(Workshop.owner_id == user_id))
        db.session.commit()


@dataclass
class WorkshopPost:
    questionnaire: str
    question: str
    fields: list[tuple[str, str]]
    action: list[str]
    csrf: str
    garbage: str


@st.composite
def workshop_posts(draw) -> WorkshopPost:
    questionnaire_id = draw(st.sampled_from(["atelier", "atelier", "citoyen"]))
    questionnaire = CATALOG.get(questionnaire_id)
    ids = (next(s.questions for s in questionnaire.sections if s.id == "regards")
           if questionnaire_id == "citoyen" else questionnaire.questions)
    question = draw(st.sampled_from([q for q in ids if q.type != "territory"]))
    clean = draw(st.integers(0, 9)) < 3  # a third of the answers are sent properly
    question_id = question.id if clean or draw(st.integers(0, 9)) else draw(texts(big=False))
    fields = [(f"item_{question.id}", value) for value in draw(field_values(question, clean))]
    if not clean:
        fields += extra_fields(draw, {f"item_{question.id}", "action", "csrf_token"})
    action = draw(weighted(
        (12, st.sampled_from(["next", "skip"]).map(lambda action: [action])),
        (0 if clean else 2, st.just([])),
        (0 if clean else 3, st.lists(texts(big=False), min_size=1, max_size=2)),
    ))
    return WorkshopPost(questionnaire_id, question_id, draw(st.permutations(fields)), action,
                        "valid" if clean else draw(CSRF_MODES), draw(texts(big=False)))


@given(post=workshop_posts())
@example(post=WorkshopPost("citoyen", "commentaire", [("item_commentaire", "\x00")], ["next"],
                           "valid", ""))
def test_a_workshop_participants_answer(app, client, db_counts, participants, page_csrf,
                                        post: WorkshopPost):
    """POST /a/<code>/p/<token>/q/<question>: a valid answer is saved and the phone goes on
    (303); anything else is the question again with its error summary (422, 400 once expired),
    the error page (400, 404) or a redirect, and nothing is saved."""
    person = participants[post.questionnaire]
    questionnaire = CATALOG.get(post.questionnaire)
    pairs = (with_csrf(post.csrf, page_csrf, post.garbage) + [("action", a) for a in post.action]
             + post.fields)
    body = form_body(pairs)
    before = snapshot(app, db_counts, person.response_id)
    url = f"/a/{person.code}/p/{person.token}/q/{path_segment(post.question)}"
    answer = client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    note(f"{answer.status_code} {answer.location}")
    assert answer.status_code < 500
    event(f"status {answer.status_code}")

    sent = received(body) if len(body) <= MEGABYTE else []
    action = first(sent, "action", "next")
    question = questionnaire.question(post.question)
    if post.question not in person.questions:
        assert 300 <= answer.status_code < 500  # no such question here: 404 (or a redirect)
        if answer.status_code >= 400:
            explained_html(answer)
    elif len(body) > MEGABYTE or body.count(b"&") >= app.config["MAX_FORM_PARTS"]:
        assert answer.status_code == 413
        explained_html(answer)
    elif not csrf_ok(post.csrf):
        assert answer.status_code == 400  # the page had expired (checked before anything else)
        explained_html(answer)
    elif question.show_if is not None:
        assert answer.status_code == 303  # not asked (yet): back to where the participant is
    elif action not in ("next", "skip"):
        assert answer.status_code == 400  # a tampered action
        explained_html(answer)
    else:
        actor_question = questionnaire.actor_question
        skip = action == "skip" and question.id != actor_question
        value = form_answer(app, question, values_of(sent, f"item_{question.id}"),
                            not skip and question.id == actor_question)
        if value is BAD:
            assert answer.status_code == 422
            explained_html(answer)
        else:
            assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
            expected = dict(before[1])
            if not skip and value is not UNANSWERED:
                expected[question.id] = value
            assert answers_of(app, person.response_id) == expected
            put_back(app, person.response_id, before[1], before[2])
            return
    assert snapshot(app, db_counts, person.response_id) == before


# --------------------------------------------------------------------------- log in


@dataclass
class Login:
    email: list[str]
    password: list[str]
    extra: list[tuple[str, str]]
    csrf: str
    garbage: str
    next: str | None


@st.composite
def logins(draw) -> Login:
    email = draw(weighted(
        (3, st.just(["{email}"])),
        (2, st.just(["{variant}"])),
        (2, st.emails().map(lambda email: [email[:400]])),
        (4, st.lists(texts(), min_size=1, max_size=2)),
        (1, st.just([])),
    ))
    if email == ["{variant}"]:
        email = [draw(st.sampled_from(["{upper}", "{spaced}", "{nul}", "{zero width}",
                                       "{sql}"]))]
    password = draw(weighted(
        (3, st.just([PASSWORD])),
        (4, st.lists(texts(), min_size=1, max_size=2)),
        (1, st.just([])),
        (1, st.just([PASSWORD, "autre"])),
        (1, st.just(["x" * 201])),
    ))
    return Login(email, password, extra_fields(draw, {"email", "password", "csrf_token"}),
                 draw(CSRF_MODES), draw(texts(big=False)),
                 draw(st.one_of(st.none(), texts(big=False), st.sampled_from(
                     ["/ateliers", "//evil.example", "/\r\nSet-Cookie: x=1", "https://evil.example",
                      "/\\evil", "/%0d%0a"]))))


def login_email(template: str, email: str) -> str:
    return {
        "{email}": email, "{upper}": email.upper(), "{spaced}": f"  {email}\t",
        "{nul}": email + "\x00", "{zero width}": email.replace("@", "\u200b@"),
        "{sql}": f"{email}' --",
    }.get(template, template)


def users_of(app) -> list[tuple]:
    with app.app_context():
        db.session.expire_all()
        return [tuple(row) for row in db.session.execute(select(
            User.id, User.email, User.password_hash, User.active, User.api_token_hash)
            .order_by(User.id)).all()]


def login_attempts(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(LoginAttempt.id)).all())


def forget_login_attempts(app) -> None:
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(LoginAttempt))
        db.session.commit()


@pytest.fixture
def no_login_attempts_left(app):
    yield
    forget_login_attempts(app)


@given(login=logins())
@example(login=Login(["a\x00@example.org"], [PASSWORD], [], "valid", "", None))
@example(login=Login(["{email}"], [PASSWORD], [], "valid", "", "/\r\nSet-Cookie: x=1"))
def test_the_login_form(app, db_counts, organiser, no_login_attempts_left, login: Login):
    """POST /connexion: the right email and password log in (302); a form that is not filled in
    properly is shown again with its error summary (400) and nothing is recorded; a wrong pair
    is a 401 with its notice and one failed attempt recorded; no account ever changes."""
    forget_login_attempts(app)  # no throttling from the previous examples
    _user_id, email = organiser
    client = app.test_client()
    csrf = csrf_token(client.get("/connexion").get_data(as_text=True))
    emails = [login_email(value, email) for value in login.email]
    pairs = (with_csrf(login.csrf, csrf, login.garbage) + [("email", e) for e in emails]
             + [("password", p) for p in login.password] + login.extra)
    body = form_body(pairs)
    users, counts, attempts = users_of(app), db_counts(), login_attempts(app)
    path = "/connexion" + ("" if login.next is None else
                           "?next=" + quote_plus(login.next.encode("utf-8", "surrogatepass")))
    answer = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    note(f"{answer.status_code} {answer.location}")
    assert answer.status_code < 500
    event(f"status {answer.status_code}")

    sent = received(body) if len(body) <= MEGABYTE else []
    typed, secret = first(sent, "email"), first(sent, "password")
    filled = all(value is not None and value.strip() for value in (typed, secret))
    if len(body) > MEGABYTE or body.count(b"&") >= app.config["MAX_FORM_PARTS"]:
        assert answer.status_code == 413
        explained_html(answer)
    elif not (csrf_ok(login.csrf) and filled and len(typed) <= 320 and len(secret) <= 200):
        assert answer.status_code == 400
        explained_html(answer)
        assert login_attempts(app) == attempts
    elif "\x00" in typed:
        # No account has such an address: refused by the form (400) or as a wrong pair (401).
        assert answer.status_code in (400, 401)
        explained_html(answer)
        assert login_attempts(app) - attempts in (0, 1)
    elif accounts.normalise_email(typed)[:320] == email and secret == PASSWORD:
        assert answer.status_code == 302
        assert answer.location.startswith("/") and not answer.location.startswith("//")
        assert "\n" not in answer.location and "\r" not in answer.location
        assert login_attempts(app) == attempts + 1
    else:
        assert answer.status_code == 401
        explained_html(answer)
        assert login_attempts(app) == attempts + 1
    assert users_of(app) == users
    assert db_counts() == counts


# --------------------------------------------------------------------------- territory search


@dataclass
class Search:
    params: list[tuple[str, str]]


@st.composite
def searches(draw) -> Search:
    params: list[tuple[str, str]] = []
    if draw(st.integers(0, 9)):
        params.append(("q", draw(weighted(
            (2, st.sampled_from(["lyon", "69100", "saint-denis", "Saint Denis", "st denis", "69",
                                 "2A", "2b", "l", "ÎLE", "villeurbanne", "a" * 100, "a" * 101])),
            (4, texts(big=False))))))
    if draw(st.integers(0, 2)) == 0:
        params.append(("levels", draw(weighted(
            (2, st.lists(st.sampled_from(territories.LEVELS), min_size=1, max_size=3)
             .map(",".join)),
            (1, texts(big=False))))))
    if draw(st.integers(0, 2)) == 0:
        params.append(("within", draw(weighted(
            (2, st.sampled_from(KNOWN_KEYS + UNKNOWN_KEYS + [""])), (1, texts(big=False))))))
    for _ in range(draw(weighted((6, st.just(0)), (1, st.integers(1, 3))))):
        params.append((draw(st.sampled_from(["q", "levels", "within", "limit", "q[]", ""])),
                       draw(texts(big=False))))
    return Search(draw(st.permutations(params)))


@given(search=searches())
@example(search=Search([("q", "ly\x00on")]))
@example(search=Search([("q", "69"), ("within", "commune:69123\x00")]))
def test_the_territory_search(app, client, db_counts, search: Search):
    """GET /api/v1/territories?q=&levels=&within=: at most 20 matches of the levels asked for,
    or a JSON 400 for a query over 100 characters, an unknown level or territory."""
    query = "&".join(f"{quote_plus(k.encode('utf-8', 'surrogatepass'))}="
                     f"{quote_plus(v.encode('utf-8', 'surrogatepass'))}" for k, v in search.params)
    before = db_counts()
    answer = client.get("/api/v1/territories", query_string=query)
    assert answer.status_code < 500
    event(f"status {answer.status_code}")
    args = parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote")
    q = first(args, "q", "")
    levels = first(args, "levels", "commune").split(",")
    within = first(args, "within", "")
    if len(q) > 100:
        assert answer.status_code == 400
        assert "q" in explained_json(answer)["details"]
    elif any(level not in territories.LEVELS for level in levels):
        assert answer.status_code == 400
        assert "levels" in explained_json(answer)["details"]
    elif within and not known_territory(app, within):
        assert answer.status_code == 400
        assert "within" in explained_json(answer)["details"]
    else:
        assert answer.status_code == 200
        matches = answer.get_json()
        assert isinstance(matches, list) and len(matches) <= 20
        for match in matches:
            assert match["key"].split(":")[0] in levels
            assert TERRITORY_KEY.fullmatch(match["key"])
    assert db_counts() == before


# --------------------------------------------------------------------------- addresses


@pytest.fixture
def known(app, client, organiser, started) -> dict[str, str]:
    """A completed response's token, a started one's, a workshop code, a territory key."""
    done = client.post("/api/v1/responses", json={
        "questionnaire": "elu", "territory": "commune:69123", "answers": {"conf_mefiance": 2}})
    assert done.status_code == 201
    user_id, _email = organiser
    with app.app_context():
        workshop = workshops.create_workshop(
            db.session.get(User, user_id), "Atelier des adresses",
            territories.get_territory("commune:69123"), CATALOG.get("atelier"))
        code = workshop.code
    return {"completed": done.get_json()["token"], "started": started["elu"][1], "code": code,
            "key": "commune:69123"}


ROUTES = {
    "/r/{}": "started",
    "/r/{}/etape/1": "started",
    "/r/{}/resultats": "completed",
    "/a/{}": "code",
    "/a/{}/etat.json": "code",
    "/api/v1/results/{}": "completed",
    "/api/v1/territories/{}": "key",
}


@st.composite
def segments(draw) -> tuple[str, str | None]:
    """A path segment as sent (percent-encoded, or not), and the valid value it varies if any."""
    kind = draw(weighted((6, st.just("text")), (1, st.just("valid")), (2, st.just("variant"))))
    if kind == "text":
        text = draw(texts(big=False))  # an address of a megabyte goes no further than the server
        encoded = draw(st.sampled_from([True, True, True, False]))
        if encoded:
            return path_segment(text), None
        return quote(text.encode("utf-8", "surrogatepass"), safe="/:@!$&'()*+,;=~"), None
    variant = draw(st.sampled_from(["{}", "{}x", "{}\x00", " {}", "{}/", "{}%00", "{}' OR 1=1",
                                    "{}\u200b", "\u202e{}", "{}" * 50]))
    return ("{}" if kind == "valid" else variant), kind


@pytest.mark.parametrize("route", list(ROUTES))
@given(segment=segments())
def test_addresses_with_a_token_a_code_or_a_key(app, client, db_counts, known, route: str,
                                                segment: tuple[str, str | None]):
    """The addresses that hold a private token, a workshop code or a territory key: whatever
    the path, a page, a redirect, or a 4xx that says so (JSON on the API); nothing changes."""
    text, kind = segment
    valid = known[ROUTES[route]]
    if kind is not None:
        text = path_segment(text.replace("{}", valid)) if text != "{}" else valid
    before = db_counts()
    answer = client.get(route.format(text))
    note(f"{route.format(text)[:200]} → {answer.status_code} {answer.location}")
    assert answer.status_code < 500
    event(f"status {answer.status_code}")
    if kind == "valid":
        assert answer.status_code in (200, 302)
    if answer.status_code >= 400:
        if route.startswith("/api/"):
            explained_json(answer)
        else:
            explained_html(answer)
    else:
        safe_html(answer)
    assert db_counts() == before


# --------------------------------------------------------------------------- the rule fixed


@pytest.mark.parametrize("text", ["a\x00b", "\x00", "\ud800", "a\udfffb"])
def test_a_free_text_no_database_can_store_is_refused(text):
    """What the tests above found: a NUL byte or an unpaired surrogate in a free text reached
    PostgreSQL, which refuses them (a 500); the questionnaire's rule now refuses them first."""
    question = CATALOG.get("elu").question("commentaire")
    with pytest.raises(AnswerError) as refused:
        check_value(question, text)
    assert refused.value.code == "wrong_type"
    assert check_value(question, "\u202e\u200b texte ") == "\u202e\u200b texte"
