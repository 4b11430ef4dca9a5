"""How every table and chart of the app names metrics, systems and columns, orders metric
columns and writes numbers: one table of names, one order, one number format.

Scorers and result files use keys (``Bleu_4``, ``ROUGE_L``, ``value_a``, ``p_value``,
``lstm-beam``); readers see ``BLEU-4``, ``ROUGE-L``, ``A``, ``p``, ``LSTM, beam (thesis)``.
Metric columns follow the thesis's order (METEOR and ROUGE-L first); a metric has
:data:`DIGITS` decimals, intervals too; a p-value reads ``p = 0.012`` or ``p < 0.001``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence

import pandas as pd

from imgstory.app.i18n import N_, _, name_in
from imgstory.eval.results import DISPLAY_NAMES

DIGITS = 3
#: Below this a p-value reads "p < 0.001" (three decimals would print 0.000).
SMALLEST_P = 0.001
#: A number a table does not have (not reported, not computed).
MISSING = "—"

METRIC_NAMES = {
    "METEOR": "METEOR",
    "ROUGE_L": "ROUGE-L",
    "CIDEr": "CIDEr",
    "Bleu_4": "BLEU-4",
    "Bleu_1": "BLEU-1",
    "Bleu_2": "BLEU-2",
    "Bleu_3": "BLEU-3",
    "SPICE": "SPICE",
    "theme_accuracy": N_("theme accuracy"),
    "non_redundancy": N_("non-redundancy"),
    "distinct_1": "distinct-1",
    "distinct_2": "distinct-2",
}
#: Metric columns in this order everywhere: the thesis's METEOR and ROUGE-L first.
METRIC_ORDER = tuple(METRIC_NAMES)
#: Columns of the paired-test and interval tables as readers know them: the results schema's
#: one table of display names.
COLUMN_NAMES = DISPLAY_NAMES
P_COLUMNS = ("p_value",)


def metric_name(metric: str) -> str:
    """A metric as tables and charts name it (``ROUGE-L``; ``theme accuracy`` translated);
    a key the table does not hold as it is."""
    return name_in(METRIC_NAMES, metric)


def column_name(column: str) -> str:
    """A table's column as shown: a metric's name, a known column's name, else the column
    translated (``system``, ``albums``)."""
    if column in METRIC_NAMES:
        return metric_name(column)
    return name_in(COLUMN_NAMES, column) if column in COLUMN_NAMES else _(column)


def ordered_metrics(metrics: Iterable[str]) -> list[str]:
    """``metrics`` in :data:`METRIC_ORDER` (unknown ones after, as given)."""
    metrics = list(metrics)
    known = [metric for metric in METRIC_ORDER if metric in metrics]
    return known + [metric for metric in metrics if metric not in METRIC_ORDER]


def ordered_columns(columns: Sequence[str]) -> list[str]:
    """Columns with the metric columns moved together, in :data:`METRIC_ORDER`, where the
    first of them stood; the other columns keep their places."""
    columns = list(columns)
    metrics = [column for column in columns if column in METRIC_NAMES]
    if not metrics:
        return columns
    first = columns.index(metrics[0])
    others = [column for column in columns if column not in METRIC_NAMES]
    return others[:first] + ordered_metrics(metrics) + others[first:]


def p_text(p: float) -> str:
    """A p-value as every table and sentence writes it: ``p = 0.012`` or ``p < 0.001``."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return MISSING
    return f"p < {SMALLEST_P}" if p < SMALLEST_P else f"p = {p:.{DIGITS}f}"


def score_text(value: float) -> str:
    """A score with :data:`DIGITS` decimals (``—`` when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return f"{value:.{DIGITS}f}"


def interval_text(value: float, low: float | None, high: float | None) -> str:
    """``value [low, high]``, each with :data:`DIGITS` decimals (the value alone without an
    interval)."""
    text = score_text(value)
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return text
    return f"{text} [{score_text(low)}, {score_text(high)}]"


def _count_text(value: float) -> str:
    """A count (albums, stories) held as a float because of a gap: ``1010``, or ``—``."""
    if value is None or math.isnan(value):
        return MISSING
    return str(int(value))


def _number_format(column: str, values: pd.Series):
    """How a float column's cells read: p-values as ``p = …``, counts (whole numbers in a
    column that is no metric) as whole numbers, the rest as scores."""
    if column in P_COLUMNS:
        return p_text
    present = values.dropna()
    counts = column not in METRIC_NAMES and column not in COLUMN_NAMES
    if counts and len(present) and (present == present.round()).all():
        return _count_text
    return score_text


def _metric_row_order(table: pd.DataFrame, metric_column: str) -> list[int]:
    """Row positions with each group's metric rows in :data:`METRIC_ORDER`; a group is a value
    of the first column (a system, a pair), groups kept in the order they come."""
    rank = {metric: position for position, metric in enumerate(METRIC_ORDER)}
    first = table.columns[0]
    groups = list(table[first]) if first != metric_column else [0] * len(table)
    seen = {group: position for position, group in reversed(list(enumerate(groups)))}
    metrics = list(table[metric_column])
    return sorted(
        range(len(table)),
        key=lambda row: (seen[groups[row]], rank.get(metrics[row], len(rank)), row),
    )


def shown_table(
    table: pd.DataFrame, metric_column: str | None = "metric", text_columns: Sequence[str] = ()
):
    """``table`` as every page shows it: metric columns in :data:`METRIC_ORDER`, metric keys
    in ``metric_column`` named, ``text_columns`` translated, headers named
    (:func:`column_name`), numbers with :data:`DIGITS` decimals, p-values as ``p = …`` and
    missing numbers as ``—``. Returns a pandas ``Styler`` (``st.dataframe`` and ``st.table``
    show its texts; the numbers underneath stay numbers, except in a column with a missing
    number: Streamlit's grid would draw it "None", so such a column is its texts).
    """
    shown = table[ordered_columns(list(table.columns))].copy()
    if metric_column and metric_column in shown:
        shown = shown.iloc[_metric_row_order(shown, metric_column)]
        shown[metric_column] = [metric_name(str(metric)) for metric in shown[metric_column]]
    for column in text_columns:
        if column in shown:
            shown[column] = [_(text) if isinstance(text, str) else text for text in shown[column]]
    for column in shown.columns:  # numbers with gaps (None) are numbers, not text
        if shown[column].dtype == object and column in METRIC_NAMES:
            with contextlib.suppress(ValueError, TypeError):  # "0.349 [0.345, 0.353]" stays
                shown[column] = pd.to_numeric(shown[column])
    formats = {
        column: _number_format(column, shown[column])
        for column in shown.columns
        if pd.api.types.is_float_dtype(shown[column])
    }
    for column in shown.columns:  # the grid draws a missing value as "None": text instead
        if not shown[column].isna().any():
            continue
        if column in formats:
            format = formats.pop(column)
            shown[column] = [format(value) for value in shown[column]]
        elif all(isinstance(value, str) for value in shown[column].dropna()):
            shown[column] = shown[column].astype(object).where(shown[column].notna(), MISSING)
    shown = shown.rename(columns={column: column_name(str(column)) for column in shown.columns})
    return shown.style.format(na_rep=MISSING).format(
        {column_name(str(column)): format for column, format in formats.items()}, na_rep=MISSING
    )
