"""Statistics of a human study: win/tie/loss and judged-human rates with Wilson 95% intervals,
and inter-rater agreement (Krippendorff's alpha, nominal, from the ``krippendorff`` package).

:func:`study_report` gives a :class:`StudyReport`: the page shows it and ``imgstory human report
--json`` prints its :meth:`~StudyReport.to_json`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from imgstory.human.store import HumanStore
from imgstory.human.study import PAIRWISE, TIE, Study, StudyKind, load_study
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
    """``count`` of ``n`` with its Wilson interval (no interval when ``n`` is 0)."""

    count: int
    n: int
    low: float = math.nan
    high: float = math.nan

    @property
    def value(self) -> float:
        """The observed proportion (NaN of no judgement)."""
        return self.count / self.n if self.n else math.nan

    def to_json(self) -> dict[str, Any]:
        """``{"count", "n", "rate", "low", "high"}``; ``{"count": 0, "n": 0}`` of none."""
        if not self.n:
            return {"count": self.count, "n": self.n}
        return {
            "count": self.count,
            "n": self.n,
            "rate": self.value,
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Rate:
        """The inverse of :meth:`to_json`."""
        if not document["n"]:
            return cls(int(document["count"]), 0)
        return cls(document["count"], document["n"], document["low"], document["high"])


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
    """``count / n`` with its 95% Wilson interval (none of no judgement)."""
    if n == 0:
        return Rate(count, 0)
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


@dataclass(frozen=True)
class PairwiseRow:
    """One pair of systems on one aspect: wins, ties and losses of the first."""

    system: str
    versus: str
    aspect: str
    n: int
    wins: Rate
    ties: Rate
    losses: Rate

    def to_json(self) -> dict[str, Any]:
        """``{"system", "versus", "aspect", "n", "wins", "ties", "losses"}``."""
        head = {"system": self.system, "versus": self.versus, "aspect": self.aspect, "n": self.n}
        return {**head, **{k: getattr(self, k).to_json() for k in ("wins", "ties", "losses")}}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> PairwiseRow:
        """The inverse of :meth:`to_json`."""
        rates = {k: Rate.from_json(document[k]) for k in ("wins", "ties", "losses")}
        return cls(
            document["system"], document["versus"], document["aspect"], document["n"], **rates
        )


@dataclass(frozen=True)
class TuringRow:
    """One system of a Turing test: how often its stories were judged written by a person."""

    system: str
    is_human: bool
    n: int
    judged_human: Rate

    def to_json(self) -> dict[str, Any]:
        """``{"system", "is_human", "n", "judged_human"}``."""
        return {
            "system": self.system,
            "is_human": self.is_human,
            "n": self.n,
            "judged_human": self.judged_human.to_json(),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> TuringRow:
        """The inverse of :meth:`to_json`."""
        judged = Rate.from_json(document["judged_human"])
        return cls(document["system"], document["is_human"], document["n"], judged)


@dataclass(frozen=True)
class AgreementRow:
    """Krippendorff's alpha on one aspect (None: undefined), over the items judged twice or
    more."""

    aspect: str
    krippendorff_alpha: float | None
    items_with_2_or_more: int
    judgements_counted: int

    def to_json(self) -> dict[str, Any]:
        """The row's fields by name."""
        return dict(vars(self))

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> AgreementRow:
        """The inverse of :meth:`to_json`."""
        return cls(**document)


def pairwise_table(study: Study, judgements: list[dict[str, Any]]) -> list[PairwiseRow]:
    """Per pair of systems (in the study's order) and aspect: wins, ties, losses of the first."""
    table = []
    for first, second in itertools.combinations(list(study.systems), 2):
        pair = {first, second}
        for aspect in study.aspects:
            choices = Counter(
                j["choice"]
                for j in judgements
                if j["aspect"] == aspect and {j["system_a"], j["system_b"]} == pair
            )
            n = sum(choices.values())
            wins, ties, losses = (rate(choices[c], n) for c in (first, TIE, second))
            table.append(PairwiseRow(first, second, aspect, n, wins, ties, losses))
    return table


def turing_table(study: Study, judgements: list[dict[str, Any]]) -> list[TuringRow]:
    """Per system: how often its stories were judged written by a person."""
    table = []
    for system in study.systems:
        answers = [j["answer"] for j in judgements if j["system_a"] == system]
        human = sum(answer == "human" for answer in answers)
        is_human = system in study.human_systems
        table.append(TuringRow(system, is_human, len(answers), rate(human, len(answers))))
    return table


def agreement_table(study: Study, judgements: list[dict[str, Any]]) -> list[AgreementRow]:
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
        alpha = krippendorff_alpha(list(units.values()))
        counted = sum(len(answers) for answers in multiply)
        table.append(AgreementRow(aspect, alpha, len(multiply), counted))
    return table


@dataclass(frozen=True)
class StudyReport:
    """Every number of a study: counts, the pairwise or the Turing table, agreement, and the
    notes on how they are computed.

    Attributes:
        study: the study's name.
        kind: pairwise or Turing.
        database: the project database's path.
        data: which data the albums come from.
        systems: system name -> where its stories came from.
        aspects: the aspects judged (Turing: ``human``).
        items: items in the study.
        judgements_per_item: raters each item is meant to get.
        items_fully_judged: items with that many finished judgements.
        raters: raters who judged.
        judgements: judgements given.
        judgements_by_rater: rater -> judgements given.
        intervals: how the rates' intervals are computed.
        agreement_measure: how agreement is measured.
        agreement: per aspect.
        pairwise: a pairwise study's table (None for a Turing test).
        turing: a Turing test's table (None for a pairwise study).
    """

    study: str
    kind: StudyKind
    database: str
    data: str
    systems: dict[str, str]
    aspects: tuple[str, ...]
    items: int
    judgements_per_item: int
    items_fully_judged: int
    raters: int
    judgements: int
    judgements_by_rater: dict[str, int]
    intervals: str
    agreement_measure: str
    agreement: tuple[AgreementRow, ...]
    pairwise: tuple[PairwiseRow, ...] | None = None
    turing: tuple[TuringRow, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The report as ``imgstory human report --json`` prints it (``pairwise`` or
        ``turing`` after the agreement, by the study's kind)."""
        document = {
            name: getattr(self, name)
            for name in (
                *("study", "kind", "database", "data", "systems", "aspects", "items"),
                *("judgements_per_item", "items_fully_judged", "raters", "judgements"),
                *("judgements_by_rater", "intervals", "agreement_measure"),
            )
        }
        document.update(kind=self.kind.value, aspects=list(self.aspects))
        document["agreement"] = [row.to_json() for row in self.agreement]
        if self.pairwise is not None:
            document["pairwise"] = [row.to_json() for row in self.pairwise]
        if self.turing is not None:
            document["turing"] = [row.to_json() for row in self.turing]
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> StudyReport:
        """The inverse of :meth:`to_json`."""
        pairwise, turing = document.get("pairwise"), document.get("turing")
        fields = {key: value for key, value in document.items() if key not in TABLES}
        return cls(
            **{**fields, "kind": StudyKind(document["kind"]), "aspects": tuple(fields["aspects"])},
            agreement=tuple(AgreementRow.from_json(row) for row in document["agreement"]),
            pairwise=None if pairwise is None else tuple(map(PairwiseRow.from_json, pairwise)),
            turing=None if turing is None else tuple(map(TuringRow.from_json, turing)),
        )


#: The report's tables (rows of their own types).
TABLES = ("agreement", "pairwise", "turing")


def study_report(store: HumanStore, name: str) -> StudyReport:
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
    pairwise = study.kind == PAIRWISE
    return StudyReport(
        study=study.name,
        kind=study.kind,
        database=str(store.path),
        data=study.data_label,
        systems=study.systems,
        aspects=tuple(study.aspects),
        items=items,
        judgements_per_item=study.judgements_per_item,
        items_fully_judged=finished,
        raters=len({j["rater"] for j in judgements}),
        judgements=len(judgements),
        judgements_by_rater=dict(sorted(Counter(j["rater"] for j in judgements).items())),
        intervals=WILSON_NOTE,
        agreement_measure=ALPHA_NOTE,
        agreement=tuple(agreement_table(study, judgements)),
        pairwise=tuple(pairwise_table(study, judgements)) if pairwise else None,
        turing=None if pairwise else tuple(turing_table(study, judgements)),
    )
