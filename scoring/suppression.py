"""Small-group protection: the one rule every page, chart, export and API route applies.

A figure computed from fewer than `min_size` responses is never shown (« moins de 5 réponses »).
Counts of responses are shown (they tell participation, not answers), so a suppressed figure could
be recovered from a total and the other figures of its row; `protect_row` therefore also hides a
second figure (the one resting on the fewest responses), or the total, when only one would be
hidden.
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


def _hide(cell: Cell) -> Cell:
    return Cell(n=cell.n, value=None, suppressed=True)


def protect_row(parts: Mapping[Hashable, Cell], total: Cell | None = None
                ) -> tuple[dict[Hashable, Cell], Cell | None]:
    """Complementary suppression of a row of figures that add up to `total`.

    Cells already passed through `protect`. When exactly one part is suppressed while the total
    is shown, the shown part resting on the fewest responses is suppressed too; with no such part,
    the total is.
    """
    cells = dict(parts)
    hidden = [key for key, cell in cells.items() if cell.suppressed]
    if total is None or total.suppressed or len(hidden) != 1:
        return cells, total
    shown = [key for key, cell in cells.items() if not cell.suppressed and cell.n > 0]
    if shown:
        smallest = min(shown, key=lambda key: (cells[key].n, str(key)))
        cells[smallest] = _hide(cells[smallest])
        return cells, total
    return cells, _hide(total)
