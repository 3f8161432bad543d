"""Small-group protection: the one rule every page, chart, export and API route applies.

A figure computed from fewer than `min_size` responses is never shown (« moins de 5 réponses »).
Counts of responses are shown (they tell participation, not answers), so a hidden figure must not
be recoverable from the figures that are shown either:

- a total is shown only when what it adds to the shown parts of its row rests on no response or
  on at least `min_size`; otherwise it covers the shown parts only
  (`scoring.aggregates`);
- sub-territories are made of communes: `protect_partition` says which communes a filtered figure
  leaves out, so that any difference of filtered figures rests on at least `min_size` responses;
- a figure is hidden too when what a wider view adds to it (its complement) is too small
  (`scoring.aggregates.Group.cell`).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """A figure as it may be shown: its value, or nothing when it is protected."""

    #: Responses the figure rests on.
    n: int
    #: The figure; None when suppressed, or when there is nothing to compute it from.
    value: float | None
    suppressed: bool = False

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.value is not None

    def as_dict(self, digits: int = 1) -> dict:
        """For exports and the API: a suppressed cell says so and nothing else."""
        if self.suppressed:
            return {"suppressed": True}
        return {"n": self.n, "value": None if self.value is None else round(self.value, digits)}


def protect(n: int, value: float | None, min_size: int) -> Cell:
    """The figure `value` computed from `n` responses, suppressed when `0 < n < min_size`
    (with no response at all there is nothing to protect, and nothing to show)."""
    if n == 0:
        return Cell(n=0, value=None)
    if n < min_size:
        return Cell(n=n, value=None, suppressed=True)
    return Cell(n=n, value=value)


def protect_partition(
    counts: Mapping[Hashable, int], min_size: int, unplaced: int = 0
) -> set[Hashable]:
    """The parts of a whole (communes of a territory, by their responses) that no filtered figure
    may show: those under `min_size`, and then, while the hidden parts together (with `unplaced`
    responses that belong to no part) rest on 1 to `min_size − 1` responses, the shown part with
    the fewest (ties by key). Whatever is subtracted from what, the shown parts and the whole
    then never give away fewer than `min_size` responses."""
    hidden = {key for key, n in counts.items() if 0 < n < min_size}
    hidden_n = unplaced + sum(counts[key] for key in hidden)
    shown = sorted(
        (n, str(key), key) for key, n in counts.items() if n >= min_size and key not in hidden
    )
    while 0 < hidden_n < min_size and shown:
        n, _name, key = shown.pop(0)
        hidden.add(key)
        hidden_n += n
    return hidden
