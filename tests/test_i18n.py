"""The French catalog is complete and up to date with the sources (English is the source)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "diagnostic" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def french_catalog():
    with CATALOG.open("rb") as stream:
        return read_po(stream)


def source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_sources_is_in_the_french_catalog():
    catalog = french_catalog()
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    missing = sorted(source_messages() - known)
    assert missing == [], "run `make update-translations` and translate: " + repr(missing[:5])


def test_the_french_catalog_is_complete_and_keeps_placeholders():
    catalog = french_catalog()
    assert catalog.plural_forms == "nplurals=2; plural=(n > 1);"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(("untranslated", ids[0]))
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if not set(PLACEHOLDER.findall(string)) <= wanted:
                problems.append(("placeholder", ids[0]))
            if re.search(r"%(?!\(\w+\)[sd]|%)", string):
                problems.append(("stray %", ids[0]))
    assert problems == []
    assert len(catalog) > 100
