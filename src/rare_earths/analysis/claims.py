"""The claims ledger counted: how many claims got each verdict, overall and per seed article."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rare_earths.data.schema import VERDICTS

#: Verdicts that say the article got something wrong (the figure, its date or its label).
FLAWED = ("conflicts", "misdated", "mislabelled")
#: Verdicts that say the article is right, possibly with a qualification.
SUPPORTED = ("confirmed", "approximate")


@dataclass(frozen=True)
class Tally:
    """Claims per verdict (every verdict present, zeros included)."""

    total: int
    by_verdict: dict[str, int]

    @property
    def checked(self) -> int:
        """Claims with a verdict other than ``not_found``."""
        return self.total - self.by_verdict["not_found"]

    @property
    def supported(self) -> int:
        return sum(self.by_verdict[v] for v in SUPPORTED)

    @property
    def flawed(self) -> int:
        return sum(self.by_verdict[v] for v in FLAWED)

    def share_pct(self, verdict: str) -> float:
        """Percent of all claims with ``verdict`` (0 for an empty ledger)."""
        return 100.0 * self.by_verdict[verdict] / self.total if self.total else 0.0


def tally(claims: pd.DataFrame) -> Tally:
    counts = claims["verdict"].value_counts()
    return Tally(len(claims), {v: int(counts.get(v, 0)) for v in VERDICTS})


def tally_by_article(claims: pd.DataFrame) -> dict[str, Tally]:
    """One :class:`Tally` per seed article (by ``seed_source_id``), in id order."""
    return {sid: tally(group) for sid, group in claims.groupby("seed_source_id")}
