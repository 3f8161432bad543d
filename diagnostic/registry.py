"""Questionnaire definitions, loaded and validated once when the application starts.

A definition with a problem stops the start, with a message naming the file, the question and the
problem.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from questionnaires import Catalog, load_catalog
from questionnaires.loader import DEFINITIONS_DIR


def init_app(app: Flask) -> None:
    directory = Path(app.config.get("QUESTIONNAIRES_DIR") or DEFINITIONS_DIR)
    app.extensions["questionnaires"] = load_catalog(directory)


def catalog() -> Catalog:
    return current_app.extensions["questionnaires"]
