"""Remove each protection in turn and check that the test suite notices.

    .venv/bin/python bench/protections.py [--only NAME ...] [--keep] [--list] [--markdown FILE]
        [--no-baseline]

For each check below: a throwaway git worktree of the current commit (`git worktree add --detach`,
outside the repository's folder, so that uncommitted work in the repository is neither seen nor
touched), one small textual removal applied to it (an exact `old` → `new` replacement in one or
two files; the script stops if `old` is not found exactly once, so that a refactor cannot make a
check silently vacuous; a changed Python file must still compile), then the check's tests run
from the worktree:

    <this venv>/bin/python -m pytest -q -x -p no:cacheprovider --junitxml=<temp file> <tests>

The removal is caught when pytest exits with status 1 and at least one test failed; the failing
tests' names and their first line of error are read from the JUnit report (-x: the first failure
stops the run). The worktree is then removed (`git worktree
remove --force`), unless `--keep`.

Before the checks, the union of their tests runs once on an unmodified worktree of the same commit
(the baseline) and must pass: a failure after a removal is then due to the removal. Each worktree
is first checked to be the code Python imports (`diagnostic`, `scoring`, `questionnaires`,
`tests` resolved inside the worktree, not the editable install of the repository); PYTHONPATH is
set to the worktree only if it is not.

The tests run on SQLite only (TEST_DATABASE_URL and the application's settings are removed from
the environment) with the default hypothesis profile. Exit status: 0 when every removal is caught,
1 when one is not (or the baseline fails), 2 when a check cannot be applied.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
PYTEST = ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
#: Settings the tests must not inherit from the shell (SQLite only, default hypothesis profile,
#: the application's defaults).
SCRUBBED = (
    "TEST_DATABASE_URL", "DATABASE_URL", "HYPOTHESIS_PROFILE", "PYTHONPATH", "PYTEST_ADDOPTS",
    "SECRET_KEY", "MIN_GROUP_SIZE", "SUBMISSIONS_PER_MINUTE", "RETENTION_DAYS", "PROXY_FIX",
    "LOCK_TIMEOUT_MS", "SQLITE_SYNCHRONOUS", "DB_POOL_SIZE", "DB_MAX_OVERFLOW",
)
PACKAGES = ("diagnostic", "scoring", "questionnaires", "tests")


@dataclasses.dataclass(frozen=True)
class Edit:
    path: str
    old: str
    new: str


@dataclasses.dataclass(frozen=True)
class Check:
    #: Short name, for --only.
    name: str
    #: The protection, in words.
    protection: str
    #: What the removal does, in words.
    removal: str
    edits: tuple[Edit, ...]
    #: pytest arguments: files or node ids, run in this order (-x: the first failure stops).
    tests: tuple[str, ...]

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(edit.path for edit in self.edits))


def check(name, protection, removal, edits, tests) -> Check:
    return Check(name, protection, removal, tuple(Edit(*edit) for edit in edits), tuple(tests))


SECURITY = "diagnostic/security.py"
CONFIG = "diagnostic/config.py"
RESPONSES = "diagnostic/services/responses.py"
ACCOUNTS = "diagnostic/services/accounts.py"
PRIVACY = "diagnostic/services/privacy.py"
SUPPRESSION = "scoring/suppression.py"
AGGREGATES = "scoring/aggregates.py"
T_SECURITY = "tests/web/test_security.py"
T_HEADERS = "tests/web/test_headers_scan.py"
T_ACCOUNTS = "tests/web/test_accounts.py"
T_RESPONDENT = "tests/web/test_respondent.py"
T_AGGREGATES = "tests/web/test_campaign_aggregates.py"
T_UNIT_AGGREGATES = "tests/scoring/test_aggregates.py"
T_PRIVACY = "tests/web/test_privacy.py"
T_BAD_INPUT = "tests/web/test_bad_input_properties.py"
ERROR_HEADERS = f"{T_HEADERS}::test_error_answers_carry_them_too"

CHECKS = [
    # ------------------------------------------------------------------ 1. CSRF
    check("csrf-off", "CSRF token required on every form (Flask-WTF)",
          "WTF_CSRF_ENABLED=False added to the configuration",
          [(CONFIG, "        WTF_CSRF_TIME_LIMIT=None,\n",
            "        WTF_CSRF_TIME_LIMIT=None,\n        WTF_CSRF_ENABLED=False,\n")],
          [f"{T_RESPONDENT}::test_starting_without_csrf_token_is_refused",
           f"{T_ACCOUNTS}::test_login_without_csrf_is_a_400_and_no_attempt"]),
    check("csrf-section", "CSRF token of the questionnaire's section form (exempt from "
          "CSRFProtect, checked by the form itself)",
          "the section form built with meta={'csrf': False}",
          [("diagnostic/respondent/views.py",
            "    form = form_class(data={field_name(key): value for key, value in stored.items()})",
            "    form = form_class(data={field_name(key): value for key, value in stored.items()},"
            "\n                      meta={\"csrf\": False})")],
          [f"{T_RESPONDENT}::test_an_expired_form_keeps_the_answers_typed"]),
    # ------------------------------------------------------------------ 2. headers
    check("csp", "Content-Security-Policy header", "the header is no longer set",
          [(SECURITY, '    headers.setdefault(\n        "Content-Security-Policy", '
                      "POLICIES.get(response.mimetype, CONTENT_SECURITY_POLICY)\n    )\n", "")],
          [ERROR_HEADERS]),
    check("nosniff", "X-Content-Type-Options: nosniff", "the header is no longer set",
          [(SECURITY, '    headers.setdefault("X-Content-Type-Options", "nosniff")\n', "")],
          [ERROR_HEADERS]),
    check("frame-options", "X-Frame-Options: DENY", "the header is no longer set",
          [(SECURITY, '    headers.setdefault("X-Frame-Options", "DENY")\n', "")],
          [ERROR_HEADERS]),
    check("referrer-policy", "Referrer-Policy: same-origin", "the header is no longer set",
          [(SECURITY, '    headers.setdefault("Referrer-Policy", "same-origin")\n', "")],
          [ERROR_HEADERS]),
    check("hsts", "Strict-Transport-Security over HTTPS", "the header is no longer set",
          [(SECURITY, "    if request.is_secure:\n        headers.setdefault("
                      '"Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)\n', "")],
          [f"{T_SECURITY}::test_strict_transport_security_only_over_https"]),
    check("no-store", "Cache-Control: no-store on private pages",
          "the header is no longer set",
          [(SECURITY, '    if is_private():\n        headers["Cache-Control"] = "no-store"\n', "")],
          [ERROR_HEADERS]),
    check("no-store-logged-in", "Cache-Control: no-store on any page an organiser sees logged "
          "in (security.is_private)", "only the private prefixes count as private",
          [(SECURITY, '    return request.endpoint != "static" and "_user_id" in session',
            "    return False")],
          [f"{T_HEADERS}::test_every_answer_carries_the_security_headers[sqlite-owner-True]"]),
    # ------------------------------------------------------------------ 3. session cookie
    check("cookie-httponly", "session cookie HttpOnly", "SESSION_COOKIE_HTTPONLY=False",
          [(CONFIG, "SESSION_COOKIE_HTTPONLY=True,", "SESSION_COOKIE_HTTPONLY=False,")],
          [f"{T_ACCOUNTS}::test_session_cookie_is_httponly_and_lax_over_http"]),
    check("cookie-samesite", "session cookie SameSite=Lax", "SESSION_COOKIE_SAMESITE=None",
          [(CONFIG, 'SESSION_COOKIE_SAMESITE="Lax",', "SESSION_COOKIE_SAMESITE=None,")],
          [f"{T_ACCOUNTS}::test_session_cookie_is_httponly_and_lax_over_http"]),
    check("cookie-secure", "session cookie Secure when served over HTTPS",
          "Secure only from SESSION_COOKIE_SECURE (not from request.is_secure)",
          [("diagnostic/auth/__init__.py",
            'return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)',
            'return bool(app.config["SESSION_COOKIE_SECURE"])')],
          [f"{T_ACCOUNTS}::test_session_cookie_is_secure_over_https"]),
    # ------------------------------------------------------------------ 4. request size
    check("max-content-length", "request bodies limited to 1 MB (MAX_CONTENT_LENGTH)",
          "MAX_CONTENT_LENGTH no longer set (Flask's default: no limit)",
          [(CONFIG, "        MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH,\n", "")],
          [f"{T_SECURITY}::test_the_api_refuses_two_megabytes_with_a_json_error",
           "tests/web/test_api.py::test_a_body_over_one_megabyte_is_refused"]),
    check("max-form-parts", "MAX_FORM_PARTS also bounds urlencoded forms (security.FormParser)",
          "the count of '&' removed (Werkzeug counts multipart parts only)",
          [(SECURITY, "        if self.max_form_parts is not None and body.count(b\"&\") >= "
                      "self.max_form_parts:\n            raise RequestEntityTooLarge()\n", "")],
          [f"{T_SECURITY}::test_a_form_of_ten_thousand_fields_is_refused_and_nothing_is_stored",
           f"{T_SECURITY}::test_the_login_form_refuses_ten_thousand_fields_without_counting_an_"
           "attempt"]),
    # ------------------------------------------------------------------ 5. idempotency
    check("idempotency-form", "a form sent twice starts one response (its idempotency key "
          "gives the same token, `token_for`)",
          "SubmissionForm.token() ignores the key (a random token each time)",
          [("diagnostic/forms.py", "        return token_for(secret, scope, key) if key else None",
            "        return None")],
          ["tests/web/test_idempotency.py"]),
    check("idempotency-api", "an API retry with the same Idempotency-Key stores one response",
          "the key is validated but not turned into the response's token",
          [("diagnostic/api/views.py",
            '        token = responses.token_for(current_app.secret_key, "api", key)',
            "        token = None")],
          ["tests/web/test_idempotency.py::"
           "test_an_api_retry_with_the_same_idempotency_key_stores_one_response"]),
    check("token-unique", "one response per private token, even for two requests at once "
          "(the unique constraint on token_hash)",
          "unique dropped from the model and the first migration",
          [("diagnostic/models/responses.py",
            "    token_hash: Mapped[str] = mapped_column(String(64), unique=True)",
            "    token_hash: Mapped[str] = mapped_column(String(64))"),
           ("diagnostic/migrations/versions/0001_initial_schema.py",
            "    sa.UniqueConstraint('public_id', name=op.f('uq_response_public_id')),\n"
            "    sa.UniqueConstraint('token_hash', name=op.f('uq_response_token_hash'))\n",
            "    sa.UniqueConstraint('public_id', name=op.f('uq_response_public_id'))\n")],
          ["tests/reliability/test_load.py::test_concurrent_clients_each_response_stored_once"]),
    # ------------------------------------------------------------------ 6. locked database
    check("busy-503", "a locked database gives 503 + Retry-After (DatabaseBusy handler)",
          "the DatabaseBusy error handler no longer registered",
          [("diagnostic/database.py", "    app.register_error_handler(DatabaseBusy, _busy)\n", "")],
          ["tests/web/test_busy.py"]),
    check("busy-retry", "a write that meets a locked database is retried with backoff "
          "(database.retrying)", "one attempt only: no retry",
          [("diagnostic/database.py", "        for delay in (*RETRY_DELAYS, None):",
            "        for delay in (None,):")],
          ["tests/web/test_busy.py"]),
    # ------------------------------------------------------------------ 7. rate limits
    check("rate-limit", "submissions per private token per minute (count_submission)",
          "save_section no longer counts the submission",
          [(RESPONSES, "    if limit is not None:\n        count_submission(response, limit)\n",
            "")],
          ["tests/web/test_rate_limit.py"]),
    check("login-throttle-account", "login throttling per account (5 failures in 15 min)",
          "the per-account condition removed",
          [(ACCOUNTS, "    if (_recent_failures(LoginAttempt.email == email) >= "
                      "MAX_FAILURES_PER_ACCOUNT\n            or _recent_failures(",
            "    if (_recent_failures(")],
          [f"{T_ACCOUNTS}::test_five_failures_refuse_even_the_right_password",
           f"{T_ACCOUNTS}::test_failures_within_15_minutes_count"]),
    check("login-throttle-address", "login throttling per address (20 failures in 15 min)",
          "the per-address condition removed",
          [(ACCOUNTS, "\n            or _recent_failures(LoginAttempt.address_hash == keyed) >= "
                      "MAX_FAILURES_PER_ADDRESS):", "):")],
          [f"{T_ACCOUNTS}::test_twenty_failures_from_one_address_block_it"]),
    # ------------------------------------------------------------------ 8. authorisation
    check("campaign-owner", "a campaign is reached by its owner or an administrator only "
          "(campaign_for)", "the ownership test removed (any organiser reaches any campaign)",
          [("diagnostic/services/campaigns.py",
            "    if campaign is None or not (user.is_admin or campaign.owner_id == user.id):",
            "    if campaign is None:")],
          ["tests/web/test_campaign_access.py::test_another_organiser_gets_404"]),
    check("campaign-list", "an organiser's list shows their own campaigns only (campaigns_of)",
          "the owner filter of the list removed",
          [("diagnostic/services/campaigns.py",
            "    if not user.is_admin:\n"
            "        query = query.where(Campaign.owner_id == user.id)\n", "")],
          ["tests/web/test_campaign_access.py::test_the_list_shows_the_campaigns_one_may_see"]),
    check("workshop-owner", "a workshop is run by its owner or an administrator only "
          "(workshop_for)", "the ownership test removed",
          [("diagnostic/services/workshops.py",
            "    if workshop is None or not (user.is_admin or workshop.owner_id == user.id):",
            "    if workshop is None:")],
          ["tests/web/test_workshops.py::test_another_organiser_gets_404"]),
    # ------------------------------------------------------------------ 9. private tokens
    check("token-hashed", "a response's private token stored as its SHA-256 only (hash_token)",
          "hash_token returns the token itself (stored in clear, looked up in clear)",
          [(RESPONSES, '    return hashlib.sha256(token.encode("utf-8")).hexdigest()',
            "    return token")],
          [f"{T_RESPONDENT}::test_start_creates_a_response_with_its_questionnaire_version"]),
    check("token-length", "private tokens of at least 128 bits (TOKEN_BYTES = 32)",
          "TOKEN_BYTES = 8 (64 bits)",
          [(RESPONSES, "TOKEN_BYTES = 32\n", "TOKEN_BYTES = 8\n")],
          [f"{T_RESPONDENT}::test_start_creates_a_response_with_its_questionnaire_version"]),
    check("api-token-hashed", "an organiser's API token stored as its SHA-256 only",
          "_token_hash returns the token itself",
          [(ACCOUNTS, "    return hashlib.sha256(token.encode()).hexdigest()",
            "    return token")],
          [f"{T_ACCOUNTS}::test_api_token_is_shown_once_and_stored_hashed"]),
    # ------------------------------------------------------------------ 10. exports, escaping
    check("formula-injection", "CSV/XLSX cells starting with = + - @ TAB CR get a quote "
          "(exports.neutralise)", "neutralise returns every value unchanged",
          [("diagnostic/services/exports.py",
            "    if isinstance(value, str) and value.startswith(FORMULA_STARTS):\n"
            "        return \"'\" + value\n    return value",
            "    return value")],
          [f"{T_AGGREGATES}::test_csv_export", f"{T_AGGREGATES}::test_xlsx_export",
           "tests/web/test_workshops.py::"
           "test_exports_free_texts_from_twice_the_minimum_neutralised"]),
    check("html-escape", "free comments HTML-escaped on the dashboard (Jinja autoescape)",
          "the comment rendered with |safe",
          [("templates/campaigns/_summary.html", "<li>{{ comment }}</li>",
            "<li>{{ comment|safe }}</li>")],
          [f"{T_AGGREGATES}::test_dashboard_shows_comments_escaped_from_twice_min_group_size"]),
    # ------------------------------------------------------------------ 11. small groups
    check("suppression", "a figure from 1 to MIN_GROUP_SIZE-1 responses is suppressed "
          "(suppression.protect)", "protect never suppresses",
          [(SUPPRESSION, "    if n < min_size:\n        return Cell(n=n, value=None, "
                         "suppressed=True)\n", "")],
          [f"{T_AGGREGATES}::test_api_shows_no_company_figure_while_there_are_four",
           f"{T_UNIT_AGGREGATES}::test_protect_suppresses_a_figure_under_the_minimum"]),
    check("total-complement", "a total leaves out a lone hidden group, so that total minus the "
          "shown parts reveals nothing (aggregates.with_total)",
          "no group counted as hidden for the total",
          [(AGGREGATES, "    hidden = [key for key, cell in parts.items() if cell.suppressed]\n",
            "    hidden = []\n")],
          [f"{T_AGGREGATES}::test_summary_counts_and_complementary_suppression",
           f"{T_UNIT_AGGREGATES}::test_a_total_leaves_out_a_lone_hidden_group"]),
    check("filter-complement", "a filtered figure is hidden when what the wider view adds to it "
          "rests on too few responses (aggregates.Group.cell)", "the complements loop removed",
          [(AGGREGATES, "        for complement in self.complements:\n"
                        "            rest = sum(complement.get(metric, (0, 0.0))[0] for metric "
                        "in metrics)\n            if 0 < rest < min_size:\n"
                        "                return Cell(n=cell.n, value=None, suppressed=True)\n",
            "")],
          [f"{T_AGGREGATES}::"
           "test_a_filtered_figure_is_hidden_when_the_rest_of_the_campaign_rates_too_few",
           f"{T_UNIT_AGGREGATES}::test_a_figure_with_a_small_complement_is_hidden"]),
    check("partition", "communes left out of filters until the hidden rest has at least "
          "MIN_GROUP_SIZE responses (suppression.protect_partition)",
          "only the small communes hidden (the loop that hides more removed)",
          [(SUPPRESSION, "    while 0 < hidden_n < min_size and shown:\n"
                         "        n, _name, key = shown.pop(0)\n        hidden.add(key)\n"
                         "        hidden_n += n\n", "")],
          [f"{T_AGGREGATES}::test_csv_export",
           f"{T_UNIT_AGGREGATES}::test_protect_partition_hides_small_parts_and_enough_others"]),
    check("shared-rule", "every figure goes through suppression.protect (the URL walk with a "
          "spy)", "the export tests the group sizes its own way (same thresholds, no protect())",
          [("diagnostic/services/exports.py",
            "if suppression.protect(n, 0.0, min_size).suppressed)", "if 0 < n < min_size)"),
           ("diagnostic/services/exports.py",
            "and suppression.protect(n, 0.0, 2 * min_size).suppressed)",
            "and 0 < n < 2 * min_size)")],
          [f"{T_AGGREGATES}::"
           "test_every_figure_of_every_campaign_url_goes_through_the_shared_suppression"]),
    # ------------------------------------------------------------------ 12. privacy
    check("self-delete", "a respondent's deletion deletes the response, its answers and scores",
          "delete_response no longer deletes the rows",
          [(PRIVACY, "    _delete_rows(Response.id == response.id)\n", "")],
          [f"{T_PRIVACY}::test_a_respondent_deletes_their_response_and_the_benchmarks_follow",
           f"{T_PRIVACY}::test_an_unfinished_response_is_deleted_from_the_pause_page"]),
    check("delete-benchmarks", "the reference groups' counts follow a deletion "
          "(benchmarks.record_removal)", "record_removal no longer called",
          [(PRIVACY, "        benchmarks.record_removal(response)\n", "")],
          [f"{T_PRIVACY}::test_a_respondent_deletes_their_response_and_the_benchmarks_follow"]),
    check("purge", "purge-expired deletes the responses past RETENTION_DAYS",
          "purge_expired counts them but deletes nothing",
          [(PRIVACY, "    _delete_rows(condition)\n    db.session.commit()\n",
            "    db.session.commit()\n")],
          [f"{T_PRIVACY}::test_purge_expired_removes_exactly_the_old_responses"]),
    check("purge-cutoff", "the retention period counts from completion (or the last save)",
          "counted from creation instead",
          [(PRIVACY, "    return func.coalesce(Response.completed_at, Response.updated_at) "
                     "< cutoff", "    return Response.created_at < cutoff")],
          [f"{T_PRIVACY}::test_purge_expired_removes_exactly_the_old_responses"]),
    # ------------------------------------------------------------------ 13. bad input
    check("nul-refused", "a NUL byte in a free text is refused (questionnaires.answers)",
          "NUL taken out of UNSTORABLE (lone surrogates still refused)",
          [("questionnaires/answers.py", r'UNSTORABLE = re.compile("[\x00\ud800-\udfff]")',
            r'UNSTORABLE = re.compile("[\ud800-\udfff]")')],
          [f"{T_BAD_INPUT}::test_a_free_text_no_database_can_store_is_refused",
           f"{T_BAD_INPUT}::test_api_responses"]),
    check("deep-json", "JSON nested deeper than the reader goes is a 400 (api._json_body)",
          "RecursionError no longer caught",
          [("diagnostic/api/views.py",
            "    try:\n        body = request.get_json(silent=True)\n    except RecursionError:\n"
            "        # Nested deeper than the JSON reader goes (a body of « [[[[… »): not readable"
            " either.\n        body = None\n",
            "    body = request.get_json(silent=True)\n")],
          [f"{T_BAD_INPUT}::test_api_responses"]),
    # ------------------------------------------------------------------ 14. no address kept
    check("no-address", "no address or browser stored with a response",
          "the client's address stored in the new response's region_code",
          [(RESPONSES, "from sqlalchemy.exc import IntegrityError\n",
            "from sqlalchemy.exc import IntegrityError\nfrom flask import request\n"),
           (RESPONSES, "        campaign_id=campaign_id,\n    )\n",
            "        campaign_id=campaign_id,\n        region_code=request.remote_addr,\n    )\n")],
          [f"{T_PRIVACY}::test_a_submission_stores_neither_the_address_nor_the_browser"]),
    check("login-address-keyed", "a login attempt's address kept keyed (HMAC), not in clear",
          "address_hash returns the address",
          [(ACCOUNTS, "    return hmac.new(secret.encode(), (address or \"\").encode(), "
                      "hashlib.sha256).hexdigest()", "    return address")],
          [f"{T_ACCOUNTS}::test_the_address_is_stored_keyed_not_in_clear"]),
]


# --------------------------------------------------------------------------- machinery


class CheckError(RuntimeError):
    """A check that cannot be applied as written (its text is gone or ambiguous)."""


@dataclasses.dataclass
class Outcome:
    check: Check
    caught: bool
    returncode: int
    failed: list[str]
    errors: list[str]
    summary: str
    seconds: float
    worktree: Path | None = None

    @property
    def result(self) -> str:
        if self.caught:
            return f"caught: {len(self.failed)} failed"
        extra = f", {len(self.errors)} errors" if self.errors else ""
        return f"NOT CAUGHT (exit {self.returncode}{extra})"


def git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def add_worktree(base: Path, name: str, commit: str) -> Path:
    path = base / name
    git("worktree", "add", "--detach", str(path), commit)
    return path


def remove_worktree(path: Path) -> None:
    try:
        git("worktree", "remove", "--force", str(path))
    except RuntimeError as error:
        print(f"warning: {error}", file=sys.stderr)
        shutil.rmtree(path, ignore_errors=True)
        git("worktree", "prune")


def apply(check: Check, root: Path) -> None:
    """Apply the check's edits to the worktree `root`; CheckError if any `old` is not there
    exactly once, or if a Python file no longer compiles."""
    for edit in check.edits:
        path = root / edit.path
        text = path.read_text(encoding="utf-8")
        count = text.count(edit.old)
        if count != 1:
            raise CheckError(f"{check.name}: {edit.path}: expected the text to remove once, "
                             f"found it {count} times:\n{edit.old}")
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")
    for name in check.files:
        if name.endswith(".py"):
            try:
                compile((root / name).read_text(encoding="utf-8"), name, "exec")
            except SyntaxError as error:
                raise CheckError(f"{check.name}: {name} no longer compiles: {error}") from None


def imported_from(root: Path, env: dict[str, str]) -> dict[str, str]:
    code = ("import importlib\n"
            f"for name in {PACKAGES!r}:\n"
            "    print(name, importlib.import_module(name).__file__)\n")
    done = subprocess.run([str(PYTHON), "-c", code], cwd=root, env=env, capture_output=True,
                          text=True)
    if done.returncode:
        raise RuntimeError(f"cannot import the packages from {root}:\n{done.stderr}")
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def worktree_env(root: Path, env: dict[str, str]) -> dict[str, str]:
    """`env`, with PYTHONPATH set to the worktree only if Python would otherwise import the
    packages from elsewhere (the repository's editable install); RuntimeError if even then."""
    for attempt in (env, {**env, "PYTHONPATH": str(root)}):
        found = imported_from(root, attempt)
        if all(Path(path).resolve().is_relative_to(root.resolve()) for path in found.values()):
            return attempt
        print(f"  imports not from the worktree: {found}; trying PYTHONPATH", file=sys.stderr)
    raise RuntimeError(f"the packages are not imported from the worktree {root}: {found}")


COUNTS = re.compile(r"(\d+) (failed|passed|errors?|skipped|deselected|xfailed|xpassed)")


def node_id(root: Path, classname: str, name: str) -> str:
    """The pytest node id of a JUnit test case (`tests.web.test_x` [`.Class`], `test[param]`)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if (root / path).is_file():
            return "::".join([path, *parts[cut:], name])
    return f"{classname}::{name}"


def junit_results(root: Path, report: Path) -> tuple[list[str], list[str]]:
    """(failed, errored) tests of a JUnit XML report, each `node id — first line of error`."""
    failed, errors = [], []
    if not report.is_file():
        return failed, errors
    for case in ElementTree.parse(report).iter("testcase"):
        for kind, found in (("failure", failed), ("error", errors)):
            problem = case.find(kind)
            if problem is None:
                continue
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            first = message[0][:200] if message else ""
            node = node_id(root, case.get("classname", ""), case.get("name", ""))
            found.append(node + (f" — {first}" if first else ""))
    return failed, errors


def run_tests(root: Path, env: dict[str, str], tests: tuple[str, ...], report: Path
              ) -> tuple[int, list[str], list[str], str, str]:
    """Run pytest; (exit status, failed ids with their first line of error, errored ids, the
    counts line, output)."""
    done = subprocess.run([str(PYTHON), *PYTEST, f"--junitxml={report}", *tests], cwd=root,
                          env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    failed, errors = junit_results(root, report)
    lines = [line for line in output.strip().splitlines() if COUNTS.search(line)]
    return done.returncode, failed, errors, (lines[-1].strip("= ") if lines else ""), output


def union(tests) -> list[str]:
    """The tests of every check, once (a node id left out when its file runs whole)."""
    ordered = list(dict.fromkeys(tests))
    whole = {test for test in ordered if "::" not in test}
    return [test for test in ordered if "::" not in test or test.split("::")[0] not in whole]


def baseline(base: Path, commit: str, env: dict[str, str], checks: list[Check],
             keep: bool) -> tuple[bool, float, dict[str, str], str]:
    started = time.monotonic()
    root = add_worktree(base, "baseline", commit)
    try:
        with_path = "PYTHONPATH" in (env := worktree_env(root, env))
        found = {name: f"<worktree>/{Path(path).resolve().relative_to(root.resolve())}"
                 + (" (with PYTHONPATH)" if with_path else "")
                 for name, path in imported_from(root, env).items()}
        tests = union(test for check in checks for test in check.tests)
        code, failed, errors, summary, output = run_tests(root, env, tuple(tests),
                                                           base / "baseline.xml")
        ok = code == 0 and not failed and not errors
        if not ok:
            print(output[-5000:])
        return ok, time.monotonic() - started, found, summary
    finally:
        if not keep:
            remove_worktree(root)


def run_check(base: Path, commit: str, env: dict[str, str], check: Check, keep: bool) -> Outcome:
    started = time.monotonic()
    root = add_worktree(base, check.name, commit)
    try:
        apply(check, root)
        check_env = worktree_env(root, env)
        code, failed, errors, summary, output = run_tests(root, check_env, check.tests,
                                                           base / f"{check.name}.xml")
        caught = code == 1 and bool(failed)
        if not caught:
            print(output[-3000:])
        return Outcome(check, caught, code, failed, errors, summary,
                       time.monotonic() - started, root if keep else None)
    finally:
        if not keep:
            remove_worktree(root)


def short(test: str) -> str:
    return test.removeprefix("tests/web/")


def table(outcomes: list[Outcome]) -> str:
    rows = [("protection", "file changed", "removal", "tests run", "result", "s")]
    for outcome in outcomes:
        check = outcome.check
        rows.append((check.name, ", ".join(check.files), check.removal,
                     " ".join(short(test) for test in check.tests), outcome.result,
                     f"{outcome.seconds:.1f}"))
    widths = [min(max(len(row[i]) for row in rows), limit)
              for i, limit in enumerate((24, 34, 60, 60, 24, 6))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell if len(cell) <= width else cell[:width - 1] + "…"
                 for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths,
                                                                         strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(outcomes: list[Outcome], commit: str, when: str, total: float,
             base_seconds: float, base_summary: str, found: dict[str, str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [f"Run of {when}, commit `{commit}`: {len(outcomes)} removals, "
           f"{sum(o.caught for o in outcomes)} caught, total {total:.0f} s "
           f"(baseline {base_seconds:.0f} s: {base_summary}).", "",
           "Imported in the baseline worktree: "
           + (", ".join(f"`{name}` from `{path}`" for name, path in found.items()) or "not checked")
           + ".", "",
           "| # | protection | file changed | removal | tests run | result | s |",
           "|---:|---|---|---|---|---|---:|"]
    for number, outcome in enumerate(outcomes, start=1):
        check = outcome.check
        tests = "<br>".join(f"`{test}`" for test in check.tests)
        files = "<br>".join(f"`{name}`" for name in check.files)
        result = outcome.result if outcome.caught else f"**{outcome.result}**"
        out.append(f"| {number} | `{check.name}`: {cell(check.protection)} | {files} | "
                   f"{cell(check.removal)} | {tests} | {result} | {outcome.seconds:.1f} |")
    out += ["", "Failing tests, by check (pytest -x stops at the first one):", ""]
    for outcome in outcomes:
        out.append(f"- `{outcome.check.name}`:")
        if not outcome.failed:
            out.append(f"  - **none** ({outcome.summary or 'no summary'})")
        for name in outcome.failed:
            test, _, message = name.partition(" — ")
            message = message[:160].replace("`", "'")
            out.append(f"  - `{test}`" + (f" — `{message}`" if message else ""))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run these checks only")
    parser.add_argument("--keep", action="store_true",
                        help="keep the worktrees (and print where they are)")
    parser.add_argument("--list", action="store_true", help="list the checks and stop")
    parser.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the run on the unmodified commit")
    args = parser.parse_args(argv)

    if args.list:
        for item in CHECKS:
            print(f"{item.name:24} {item.protection}")
        return 0
    names = [item.name for item in CHECKS]
    if len(set(names)) != len(names):
        raise SystemExit("two checks share a name")
    checks = CHECKS
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            parser.error(f"unknown checks {unknown}; see --list")
        checks = [item for item in CHECKS if item.name in args.only]

    commit = git("rev-parse", "HEAD")
    short_commit = git("rev-parse", "--short", "HEAD")
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    env = environment()
    base = Path(tempfile.mkdtemp(prefix="protections-"))
    print(f"commit {short_commit}, {len(checks)} checks, worktrees in {base}", flush=True)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    try:
        base_seconds, base_summary, found = 0.0, "skipped", {}
        if not args.no_baseline:
            ok, base_seconds, found, base_summary = baseline(base, commit, env, checks,
                                                             args.keep)
            for name, path in found.items():
                print(f"  {name} imported from {path}")
            print(f"baseline: {base_summary} ({base_seconds:.1f} s)", flush=True)
            if not ok:
                print("the baseline fails: no removal can be judged", file=sys.stderr)
                return 1
        for item in checks:
            try:
                outcome = run_check(base, commit, env, item, args.keep)
            except CheckError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            outcomes.append(outcome)
            first = outcome.failed[0].split(" — ")[0] if outcome.failed else outcome.summary
            print(f"{item.name:24} {outcome.result:28} {outcome.seconds:6.1f} s  {first}",
                  flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
            git("worktree", "prune")
    total = time.monotonic() - started
    print()
    print(table(outcomes))
    missed = [o.check.name for o in outcomes if not o.caught]
    print(f"\n{len(outcomes) - len(missed)}/{len(outcomes)} removals caught; total {total:.0f} s"
          f" (baseline {base_seconds:.0f} s)")
    if missed:
        print(f"NOT CAUGHT: {', '.join(missed)}")
    if args.keep:
        print(f"worktrees kept in {base} (remove them with `git worktree remove --force`)")
    if args.markdown:
        Path(args.markdown).write_text(markdown(outcomes, short_commit, when, total,
                                                base_seconds, base_summary, found),
                                       encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
