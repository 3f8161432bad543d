"""The palette of the stylesheet meets WCAG AA contrast, and the charts use the same palette."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diagnostic import charts

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
ROOT_BLOCK = re.compile(r":root\s*\{(?P<body>[^}]*)\}", re.S)
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")


def palette() -> dict[str, str]:
    body = ROOT_BLOCK.search(CSS.read_text(encoding="utf-8"))["body"]
    return {
        name: value.lower()
        for name, value in re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", body)
    }


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


TEXT = 4.5  # normal text
UI = 3.0  # large text, borders and marks that identify a control or a state

#: (foreground, background, minimum): every pairing the stylesheet uses.
PAIRS = [
    *[
        (text, background, TEXT)
        for text in ("--ink", "--muted", "--accent")
        for background in ("--paper", "--tint", "--selected")
    ],
    ("--accent-dark", "--paper", TEXT),
    ("--accent-dark", "--tint", TEXT),
    ("--on-accent", "--accent", TEXT),
    ("--on-accent", "--accent-dark", TEXT),
    ("--paper", "--ink", TEXT),  # skip link
    ("--error", "--paper", TEXT),
    ("--error", "--error-tint", TEXT),
    ("--ink", "--error-tint", TEXT),
    ("--ink", "--finding-tint", TEXT),
    ("--finding", "--finding-tint", UI),
    # Impact and actor colours: icons, borders, bars and badge text on white and tinted cards.
    *[
        (colour, background, TEXT)
        for colour in (
            "--confiance",
            "--performance",
            "--innovation",
            "--citoyen",
            "--entreprise",
            "--association",
            "--elu",
        )
        for background in ("--paper", "--tint")
    ],
    # Control boundaries: option boxes, inputs, score bars.
    ("--line-strong", "--paper", UI),
    ("--muted", "--paper", UI),
    ("--accent", "--selected", UI),
    # Focus: a dark ring against the page, a yellow one against the control (primary buttons,
    # the dark skip link).
    ("--ink", "--paper", UI),
    ("--ink", "--tint", UI),
    ("--ink", "--focus", UI),
    ("--focus", "--accent", UI),
    ("--focus", "--ink", UI),
]


@pytest.mark.parametrize(
    ("foreground", "background", "minimum"), PAIRS, ids=[f"{f} on {b}" for f, b, _ in PAIRS]
)
def test_colour_pairs_meet_wcag_aa(foreground, background, minimum):
    colours = palette()
    ratio = contrast(colours[foreground], colours[background])
    assert ratio >= minimum, f"{foreground} on {background}: {ratio:.2f}:1 < {minimum}:1"


def test_colours_are_only_defined_in_the_palette():
    text = CSS.read_text(encoding="utf-8")
    outside = ROOT_BLOCK.sub("", text)
    outside = re.sub(r"/\*.*?\*/", "", outside, flags=re.S)
    assert HEX.findall(outside) == []
    assert len(palette()) >= 20


def test_a_contrast_failure_would_be_caught():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#ffbf47", "#ffffff") < UI  # the yellow ring alone would not do


def test_charts_use_the_palette_of_the_pages():
    colours = palette()
    for axis, colour in charts.AXIS_COLOURS.items():
        assert colour.lower() == colours[f"--{axis}"], axis
    assert charts.INK.lower() == colours["--ink"]
    for actor, colour in charts.ACTOR_COLOURS.items():
        assert colour.lower() == colours[f"--{actor}"], actor
