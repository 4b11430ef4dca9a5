"""Statistics of a human study: win/tie/loss and judged-human rates with Wilson 95% intervals,
and inter-rater agreement (Krippendorff's alpha, nominal, from the ``krippendorff`` package).

:func:`study_report` is what the page shows and ``imgstory human report --json`` prints.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from imgstory.human.store import HumanStore
from imgstory.human.study import PAIRWISE, TIE, Study, load_study
from imgstory.i18n import N_

CONFIDENCE = 0.95
WILSON_NOTE = N_(
    "95% Wilson score intervals (binomial, each judgement one trial; judgements of the same item "
    "by different raters are treated as independent, so the intervals are a little narrow)"
)
ALPHA_NOTE = N_(
    "Krippendorff's alpha, nominal: 1 = raters always agree, 0 = agreement no better than "
    "chance; only items judged by two raters or more count"
)


@dataclass(frozen=True)
class Rate:
    """``count`` of ``n`` with its Wilson interval."""

    count: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        """The observed proportion."""
        return self.count / self.n

    def to_json(self) -> dict[str, Any]:
        """``{"count", "n", "rate", "low", "high"}``."""
        return {
            "count": self.count,
            "n": self.n,
            "rate": self.value,
            "low": self.low,
            "high": self.high,
        }


def wilson_interval(count: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion ``count / n`` (Wilson, 1927).

    Raises:
        ValueError: ``n`` < 1 or ``count`` outside 0..n.
    """
    if n < 1 or not 0 <= count <= n:
        raise ValueError(f"a proportion needs 0 <= count <= n and n >= 1, got {count}/{n}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = count / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == n else min(1.0, centre + half)
    return low, high


def rate(count: int, n: int) -> Rate:
    """``count / n`` with its 95% Wilson interval."""
    low, high = wilson_interval(count, n)
    return Rate(count, n, low, high)


def krippendorff_alpha(units: list[list[str]]) -> float | None:
    """Krippendorff's alpha (nominal) of the answers given to each unit (item), or None when it
    is undefined: fewer than two pairable answers, or every answer the same."""
    import krippendorff
    import numpy as np

    pairable = [answers for answers in units if len(answers) >= 2]
    values = sorted({answer for answers in pairable for answer in answers})
    if not pairable or len(values) < 2:
        return None
    index = {value: position for position, value in enumerate(values)}
    counts = np.zeros((len(pairable), len(values)))  # (units, values)
    for row, answers in enumerate(pairable):
        for answer in answers:
            counts[row, index[answer]] += 1
    return float(
        krippendorff.alpha(
            value_counts=counts,
            value_domain=list(range(len(values))),
            level_of_measurement="nominal",
        )
    )


def _judgements(store: HumanStore, study: Study) -> list[dict[str, Any]]:
    with store.read() as connection:
        rows = connection.execute(
            "SELECT j.item_id, j.rater, j.aspect, j.answer, j.choice, items.system_a, "
            "items.system_b FROM judgements j JOIN items USING (item_id) WHERE study_id = ?",
            (study.study_id,),
        ).fetchall()
    return [dict(row) for row in rows]


def pairwise_table(study: Study, judgements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per pair of systems (in the study's order) and aspect: wins, ties, losses of the first."""
    systems = list(study.systems)
    table = []
    for first, second in itertools.combinations(systems, 2):
        pair = {first, second}
        for aspect in study.aspects:
            choices = Counter(
                j["choice"]
                for j in judgements
                if j["aspect"] == aspect and {j["system_a"], j["system_b"]} == pair
            )
            n = sum(choices.values())
            row: dict[str, Any] = {"system": first, "versus": second, "aspect": aspect, "n": n}
            for name, count in (
                ("wins", choices[first]),
                ("ties", choices[TIE]),
                ("losses", choices[second]),
            ):
                row[name] = rate(count, n).to_json() if n else {"count": 0, "n": 0}
            table.append(row)
    return table


def turing_table(study: Study, judgements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per system: how often its stories were judged written by a person."""
    table = []
    for system in study.systems:
        answers = [j["answer"] for j in judgements if j["system_a"] == system]
        human = sum(answer == "human" for answer in answers)
        table.append(
            {
                "system": system,
                "is_human": system in study.human_systems,
                "n": len(answers),
                "judged_human": rate(human, len(answers)).to_json()
                if answers
                else {"count": 0, "n": 0},
            }
        )
    return table


def agreement_table(study: Study, judgements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Krippendorff's alpha per aspect; pairwise answers are read as system A / tie / system B,
    so where a story was shown does not matter."""
    table = []
    for aspect in study.aspects:
        units: dict[int, list[str]] = defaultdict(list)
        for j in judgements:
            if j["aspect"] == aspect:
                value = j["choice"]
                if study.kind == PAIRWISE and value != TIE:
                    value = "a" if value == j["system_a"] else "b"
                units[j["item_id"]].append(value)
        multiply = [answers for answers in units.values() if len(answers) >= 2]
        table.append(
            {
                "aspect": aspect,
                "krippendorff_alpha": krippendorff_alpha(list(units.values())),
                "items_with_2_or_more": len(multiply),
                "judgements_counted": sum(len(answers) for answers in multiply),
            }
        )
    return table


def study_report(store: HumanStore, name: str) -> dict[str, Any]:
    """Every number of a study: counts, the pairwise or Turing table, agreement, the protocol."""
    study = load_study(store, name)
    judgements = _judgements(store, study)
    with store.read() as connection:
        items = connection.execute(
            "SELECT COUNT(*) FROM items WHERE study_id = ?", (study.study_id,)
        ).fetchone()[0]
        finished = connection.execute(
            "SELECT COUNT(*) FROM (SELECT item_id FROM assignments JOIN items USING (item_id) "
            "WHERE study_id = ? AND completed_at IS NOT NULL "
            "GROUP BY item_id HAVING COUNT(*) >= ?)",
            (study.study_id, study.judgements_per_item),
        ).fetchone()[0]
    report: dict[str, Any] = {
        "study": study.name,
        "kind": study.kind,
        "database": str(store.path),
        "data": study.data_label,
        "systems": study.systems,
        "aspects": list(study.aspects),
        "items": items,
        "judgements_per_item": study.judgements_per_item,
        "items_fully_judged": finished,
        "raters": len({j["rater"] for j in judgements}),
        "judgements": len(judgements),
        "judgements_by_rater": dict(sorted(Counter(j["rater"] for j in judgements).items())),
        "intervals": WILSON_NOTE,
        "agreement_measure": ALPHA_NOTE,
        "agreement": agreement_table(study, judgements),
    }
    if study.kind == PAIRWISE:
        report["pairwise"] = pairwise_table(study, judgements)
    else:
        report["turing"] = turing_table(study, judgements)
    return report
