"""Result tables for the comparison and thesis pages: read ``summary.json``, export CSV / LaTeX.

``summary.json`` (written by the demo build, or a user's own runs in its layout) is a
:class:`~imgstory.eval.results.SummaryResults`; the tables' columns are the schema's field names
(``value``, ``low``, ``high``; a paired test's ``value_a`` ... ``resamples``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from imgstory.app.i18n import N_, _, name_in, ngettext, number
from imgstory.app.naming import interval_text, metric_name, ordered_metrics, p_text
from imgstory.app.sources import DEMO as DEMO_KIND
from imgstory.app.sources import DEMO_LABEL, DataSource, scan_source
from imgstory.app.sources import VIST_FOLDER as VIST_KIND
from imgstory.errors import UserInputError
from imgstory.eval.results import (
    INTERVAL_COLUMNS,
    PAIRED_COLUMNS,
    SIGNIFICANCE,
    PairedTest,
    SummaryResults,
)
from imgstory.eval.results import pair_key as pair_key
from imgstory.paths import DEMO_DIR

SUMMARY_FILE = "summary.json"
PREDICTIONS_DIR = "predictions"
METRICS = ("METEOR", "ROUGE_L", "Bleu_4", "CIDEr")
SYSTEM_LABELS = {
    "lstm-beam": N_("LSTM, beam (thesis)"),
    "lstm-greedy": N_("LSTM, greedy"),
    "gru-beam": N_("GRU, beam"),
    "gru-greedy": N_("GRU, greedy"),
    "retrieval": N_("Nearest-neighbour retrieval"),
    "random": N_("Random training story (floor)"),
}
#: The system the thesis is about: set apart in tables and charts. The demo build's own
#: ``THESIS_SYSTEM``, not imported from it: that would load the scene painter on every page.
THESIS_SYSTEM = "lstm-beam"
#: What the demo pack's extra column means (shown under the tables that carry it).
THEME_ACCURACY_NOTE = N_(
    "theme accuracy (demo pack only): the share of albums whose generated story names a keyword "
    "of the album's generated theme (beach, wedding, ...); real VIST has no themes"
)
SIGNIFICANCE_LEVEL = SIGNIFICANCE
DEMO_RESULTS_NOTE = N_(
    "These numbers come from the **demo pack**: generated scenes and template stories with "
    "handcrafted features, trained offline. They show the pipeline works end to end; they say "
    "nothing about real VIST (see the published results on the comparison page)."
)
SYSTEM_ORDER = tuple(SYSTEM_LABELS)
LONG_COLUMNS = ["system", "metric", *INTERVAL_COLUMNS]


def system_label(system: str) -> str:
    """A readable name for a system key in the session's language (unknown keys as they are)."""
    return name_in(SYSTEM_LABELS, system)


def metric_label(metric: str) -> str:
    """How tables and charts name a metric (:func:`imgstory.app.naming.metric_name`)."""
    return metric_name(metric)


def system_labels(systems) -> list[str]:
    """Readable names of system keys, in the same order (for chart axes)."""
    return [system_label(system) for system in systems]


def with_labels(long: pd.DataFrame) -> pd.DataFrame:
    """The long table with readable system names (for chart axes)."""
    return long.assign(system=system_labels(long["system"]))


def _system_rank(system: str) -> tuple[int, str]:
    known = SYSTEM_ORDER.index(system) if system in SYSTEM_ORDER else len(SYSTEM_ORDER)
    return (known, system)


def summary_table(summary: SummaryResults) -> pd.DataFrame:
    """Flatten a summary into one row per (system, metric): ``value``, ``low``, ``high``.

    Plain values (``theme_accuracy``) get NaN bounds. Systems come in the canonical order
    (thesis model first).
    """
    rows = []
    for system in sorted(summary.systems, key=_system_rank):
        scores = summary.systems[system]
        rows += [{"system": system, "metric": m, **i.row()} for m, i in scores.intervals.items()]
        rows += [
            {"system": system, "metric": metric, "value": value, "low": math.nan, "high": math.nan}
            for metric, value in scores.values.items()
            if value is not None
        ]
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def load_results(results_dir: str | Path) -> SummaryResults:
    """Read ``results_dir/summary.json``.

    Raises:
        UserInputError: the file is missing or not JSON; or of an older or another layout, or
            malformed (naming the file and the command that rewrites it).
    """
    path = Path(results_dir) / SUMMARY_FILE
    if not path.is_file():
        raise UserInputError(
            N_("{path}: no results summary here; point to a results folder holding {file}"),
            path=path,
            file=SUMMARY_FILE,
        )
    return SummaryResults.load(path)


def load_summary(results_dir: str | Path) -> pd.DataFrame:
    """Read ``results_dir/summary.json`` into the long table of :func:`summary_table`.

    Raises:
        UserInputError: as :func:`load_results`.
    """
    return summary_table(load_results(results_dir))


def _saved_results(results_dir: str | Path) -> SummaryResults | None:
    """The folder's summary, or None when it has none that can be read (the pages that show
    its tables say why)."""
    try:
        return load_results(results_dir)
    except UserInputError:
        return None


@dataclass(frozen=True)
class ResultsOrigin:
    """Which data a results folder's numbers come from, read from the folder itself.

    Attributes:
        data: how captions name the data (never an absolute path).
        split: the split scored (``summary.json``'s ``split``), when recorded.
        albums: how many albums were scored, when recorded.
        source: the data source the numbers were computed on (its references are the ones to
            re-score against), or None when the folder does not say.
    """

    data: str
    split: str | None = None
    albums: int | None = None
    source: DataSource | None = None

    @property
    def is_demo(self) -> bool:
        """True for the demo pack's results (never shown under a VIST name)."""
        return self.source is not None and self.source.is_demo

    @property
    def short(self) -> str:
        """A name short enough for a chart title."""
        return _("demo pack, not real VIST") if self.is_demo else self.data

    @property
    def label(self) -> str:
        """``data, split, N albums``: the caption of every number from this folder."""
        parts = [self.data]
        if self.split:
            parts.append(_("{split} split").format(split=self.split))
        if self.albums:
            parts.append(
                ngettext("{n} album", "{n} albums", self.albums).format(n=number(self.albums))
            )
        return ", ".join(parts)


def results_origin(results_dir: str | Path) -> ResultsOrigin:
    """The data behind ``results_dir/summary.json``, from its own metadata and location.

    ``summary.json`` may name its data (``"data": "..."``); otherwise a folder inside the demo
    pack is the demo pack's, and ``<vist>/results`` is that VIST folder's (``sis/`` beside it).
    Never the sidebar's choice: a number is captioned by the data that produced it.
    """
    folder = Path(results_dir).expanduser()
    saved = _saved_results(folder) or SummaryResults(systems={})
    split, albums, named = saved.split, saved.albums, saved.data
    resolved = folder.resolve()
    if resolved.is_relative_to(DEMO_DIR.resolve()):
        return ResultsOrigin(_(DEMO_LABEL), split, albums, scan_source(DEMO_DIR, DEMO_KIND))
    try:
        source = scan_source(resolved.parent, VIST_KIND)
    except UserInputError:
        source = None
    if source is not None:
        return ResultsOrigin(named or source.label, split, albums, source)
    unnamed = _("results folder '{name}' (its data are not recorded)").format(name=folder.name)
    return ResultsOrigin(named or unnamed, split, albums)


def saved_comparisons(results_dir: str | Path) -> pd.DataFrame:
    """Paired tests saved in ``summary.json`` (``comparisons``), one row per pair and metric:
    ``comparison`` (``"a vs b"``), ``metric`` and :data:`~imgstory.eval.results.PAIRED_COLUMNS`;
    empty when there are none."""
    saved = _saved_results(results_dir) or SummaryResults(systems={})
    rows = [
        {"comparison": pair, "metric": metric, **test.row()}
        for pair, tests in saved.comparisons.items()
        for metric, test in tests.items()
    ]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows, columns=["comparison", "metric", *PAIRED_COLUMNS])


def wide_table(long: pd.DataFrame, metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """One row per system, one column per metric, cells ``value [low, high]`` (text).

    Columns carry readable names (``ROUGE-L``, ``theme accuracy``); the thesis model's name is
    marked with a star; 3 digits (:mod:`imgstory.app.naming`) keep the table within a laptop
    screen.
    """

    def cell(row: pd.Series) -> str:
        return interval_text(row.value, row.low, row.high)

    shown = ordered_metrics(m for m in (*metrics, "theme_accuracy") if m in set(long["metric"]))
    cells = long[long["metric"].isin(shown)].assign(cell=lambda t: t.apply(cell, axis=1))
    table = cells.pivot(index="system", columns="metric", values="cell")
    table = table.reindex(sorted(table.index, key=_system_rank))[shown]
    names = [f"★ {system_label(s)}" if s == THESIS_SYSTEM else system_label(s) for s in table.index]
    table.columns = [metric_label(m) for m in shown]
    table.insert(0, "system", names)
    return table.reset_index(drop=True)


def plain_table(systems, metric: str, values) -> pd.DataFrame:
    """A long table (as :func:`summary_table`) of values without intervals, for charts."""
    table = pd.DataFrame({"system": list(systems), "value": [float(v) for v in values]})
    return table.assign(metric=metric, low=math.nan, high=math.nan)[LONG_COLUMNS]


def published_views(published: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The published-results registry split to fit a screen: the scores (metric keys, in the
    thesis's order: show them with :func:`imgstory.app.naming.shown_table`) and one citation
    line per row (system: paper; source)."""
    metrics = ordered_metrics(m for m in ("METEOR", "ROUGE_L", "CIDEr", "Bleu_4") if m in published)
    context = [c for c in ("system", "protocol", "split", "provenance") if c in published]
    scores = published[context + metrics]
    citation = _("**{system}**: {paper} Source: {source}")
    citations = [  # system names and sources are in the catalog (babel.cfg); papers stay as cited
        citation.format(
            system=_(row.get("system", "?")),
            paper=row.get("paper", ""),
            source=_(row.get("source", "")),
        )
        for row in published.to_dict("records")
    ]
    return scores, citations


def to_csv(long: pd.DataFrame) -> str:
    """The long table as CSV (full precision, one row per system and metric; system names from
    file names kept as text, never as spreadsheet formulas)."""
    from imgstory.spreadsheet import safe_frame

    return safe_frame(long).to_csv(index=False)


#: LaTeX's special characters in a caption (pandas' Styler escapes cells and headers, not captions).
_CAPTION_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


def to_latex(wide: pd.DataFrame, caption: str) -> str:
    """A booktabs ``table`` of a wide result table (pandas' Styler, cells and headers escaped);
    ``caption`` should name data and protocol."""
    styler = wide.style.hide(axis="index").format(escape="latex")
    table = styler.format_index(escape="latex", axis=1).to_latex(
        column_format="l" * 2 + "r" * (len(wide.columns) - 2),
        position="t",
        position_float="centering",
        hrules=True,
        caption=caption.translate(_CAPTION_ESCAPES),
    )
    return table.replace("★", r"$\star$")  # the thesis model's mark


def prediction_files(results_dir: str | Path) -> dict[str, Path]:
    """``system -> predictions/<system>.json`` in a results folder (canonical order)."""
    folder = Path(results_dir) / PREDICTIONS_DIR
    found = {path.stem: path for path in folder.glob("*.json")} if folder.is_dir() else {}
    return {system: found[system] for system in sorted(found, key=_system_rank)}


#: The Thesis page's findings: (first, second, topic); each a paired test of first minus second.
FINDINGS = (
    ("lstm-beam", "gru-beam", N_("LSTM vs GRU (both beam search)")),
    ("lstm-beam", "lstm-greedy", N_("Beam search vs greedy (LSTM)")),
    ("lstm-beam", "random", N_("Thesis model vs a random training story")),
    ("lstm-beam", "retrieval", N_("Thesis model vs nearest-neighbour retrieval")),
)


def saved_test(results_dir: str | Path, first: str, second: str, metric: str) -> PairedTest | None:
    """A paired test of ``first`` minus ``second`` saved in ``summary.json``, or None."""
    saved = _saved_results(results_dir)
    return None if saved is None else saved.saved_test(first, second, metric)


def paired_view(tests: pd.DataFrame) -> pd.DataFrame:
    """:func:`~imgstory.app.scoring.paired_tests`' table with systems by their readable names
    (the table is kept per server, in no one language); show it with
    :func:`imgstory.app.naming.shown_table`."""
    named = tests.assign(system=system_labels(tests["key"])) if len(tests) else tests
    return named.drop(columns="key")


def tests_by_system(tests: pd.DataFrame, metric: str) -> dict[str, PairedTest]:
    """``other system key -> its paired test`` on ``metric`` from :func:`paired_tests`' table."""
    rows = tests[tests["metric"] == metric] if len(tests) else tests
    return {row["key"]: PairedTest.from_row(row) for row in rows.to_dict("records")}


def comparisons_view(saved: pd.DataFrame) -> pd.DataFrame:
    """:func:`saved_comparisons` as the page shows it: ``"a vs b"`` in the session's language."""
    if saved.empty:
        return saved
    pairs = [pair.split(" vs ", 1) for pair in saved["comparison"]]
    shown = [
        _("{first} vs {second}").format(first=system_label(p[0]), second=system_label(p[-1]))
        for p in pairs
    ]
    return saved.assign(comparison=shown)


def finding(
    long: pd.DataFrame,
    first: str,
    second: str,
    test: PairedTest | None = None,
    metric: str = "METEOR",
) -> str | None:
    """One sentence comparing two systems on a metric (None when either is absent).

    Args:
        long: the summary table (:func:`summary_table`).
        test: the paired bootstrap test of ``first`` minus ``second`` on ``metric``; the
            verdict comes from its p-value. Without one the sentence says the gap is untested:
            two overlapping 95% intervals are not a test.
    """
    rows = long[(long["metric"] == metric) & long["system"].isin([first, second])]
    values = rows.set_index("system")
    if first not in values.index or second not in values.index:
        return None
    a, b = values.loc[first], values.loc[second]
    higher, lower = (first, second) if a.value >= b.value else (second, first)
    gap = abs(a.value - b.value)
    if test is None:
        verdict = _(
            "not tested here (overlapping intervals are not a test; Model comparison runs the "
            "paired bootstrap)"
        )
    else:
        significant = test.p_value < SIGNIFICANCE_LEVEL
        tested = ngettext(
            "paired bootstrap, {p}, over {albums} album ({resamples} resamples): ",
            "paired bootstrap, {p}, over {albums} albums ({resamples} resamples): ",
            test.albums,
        ).format(p=p_text(test.p_value), albums=test.albums, resamples=number(test.resamples or 0))
        outcome = (
            _("a significant difference (p < {level})")
            if significant
            else _("not significant (p >= {level}): this sample cannot tell them apart")
        )
        verdict = tested + outcome.format(level=SIGNIFICANCE_LEVEL)
    return _(
        "{higher} scores {metric} {value}, {gap} above {lower} ({lower_value}); {verdict}."
    ).format(
        higher=system_label(higher),
        metric=metric_label(metric),
        value=f"{values.loc[higher].value:.3f}",
        gap=f"{gap:.3f}",
        lower=system_label(lower),
        lower_value=f"{values.loc[lower].value:.3f}",
        verdict=verdict,
    )
