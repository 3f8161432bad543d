"""`questionnaires` and `scoring` are pure: they import neither Flask nor SQLAlchemy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = ("questionnaires", "scoring")
WEB_MODULES = re.compile(r"^(flask|flask_\w+|sqlalchemy|werkzeug)(\.|$)")
WEB_IMPORT = re.compile(
    r"^\s*(import\s+flask|from\s+flask)|sqlalchemy", re.IGNORECASE | re.MULTILINE
)


def test_importing_the_pure_packages_loads_no_web_or_database_module():
    code = (
        "import json, sys\n"
        "import scoring, questionnaires\n"
        "import scoring.scores, scoring.levels\n"
        "import questionnaires.loader, questionnaires.answers, questionnaires.model\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert "scoring.scores" in modules
    assert "questionnaires.loader" in modules
    assert [name for name in modules if WEB_MODULES.match(name)] == []


def test_no_source_file_of_the_pure_packages_mentions_flask_or_sqlalchemy():
    files = [path for package in PURE_PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    assert {path.parent.name for path in files} == set(PURE_PACKAGES)
    offending = [
        str(path.relative_to(ROOT))
        for path in files
        if WEB_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offending == []


def test_the_guard_pattern_catches_web_imports():
    for line in ("import flask", "from flask import Flask", "    from flask_babel import _"):
        assert WEB_IMPORT.search(line), line
    assert WEB_IMPORT.search("from sqlalchemy import select")
    assert WEB_IMPORT.search("import SQLAlchemy")
    assert not WEB_IMPORT.search('"""Pure computation: no Flask, no database."""')
    for name in ("flask", "flask.app", "flask_babel", "sqlalchemy.orm", "werkzeug"):
        assert WEB_MODULES.match(name), name
    assert not WEB_MODULES.match("flaskish")
