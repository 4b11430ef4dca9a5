"""Result tables for the comparison and thesis pages: read ``summary.json``, export CSV / LaTeX.

``summary.json`` (written by the demo build or a user's own runs) is shaped
``{"systems": {system: {metric: {"value": v, "ci": [low, high]}, "theme_accuracy": a}}}``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json

SUMMARY_FILE = "summary.json"
PREDICTIONS_DIR = "predictions"
METRICS = ("METEOR", "ROUGE_L", "Bleu_4", "CIDEr")
SYSTEM_LABELS = {
    "lstm-beam": "LSTM, beam search (thesis model)",
    "lstm-greedy": "LSTM, greedy (VIST paper's Greedy baseline)",
    "gru-beam": "GRU, beam search",
    "gru-greedy": "GRU, greedy",
    "retrieval": "Nearest-neighbour retrieval",
    "random": "Random training story (floor)",
}
SYSTEM_ORDER = tuple(SYSTEM_LABELS)
LONG_COLUMNS = ["system", "metric", "value", "ci_low", "ci_high"]


def system_label(system: str) -> str:
    """A readable name for a system key (unknown keys are shown as they are)."""
    return SYSTEM_LABELS.get(system, system)


def _system_rank(system: str) -> tuple[int, str]:
    known = SYSTEM_ORDER.index(system) if system in SYSTEM_ORDER else len(SYSTEM_ORDER)
    return (known, system)


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise UserInputError(f"{where}: expected a number, found {json.dumps(value)}")
    return float(value)


def summary_table(document: dict, source: str = SUMMARY_FILE) -> pd.DataFrame:
    """Flatten a summary document into one row per (system, metric).

    Metrics with an interval give ``ci_low``/``ci_high``; plain numbers (``theme_accuracy``) get
    NaN intervals. Systems come in the canonical order (thesis model first).

    Raises:
        UserInputError: the document lacks ``systems`` or a value is not a number.
    """
    systems = document.get("systems") if isinstance(document, dict) else None
    if not isinstance(systems, dict) or not systems:
        raise UserInputError(
            f'{source}: expected {{"systems": {{"<system>": {{"METEOR": {{"value": v, '
            '"ci": [low, high]}, ...}}}; no "systems" object found'
        )
    rows = []
    for system in sorted(systems, key=_system_rank):
        metrics = systems[system]
        if not isinstance(metrics, dict):
            raise UserInputError(f"{source}: systems.{system} must be an object of metrics")
        for metric, entry in metrics.items():
            where = f"{source}: systems.{system}.{metric}"
            if isinstance(entry, dict):
                low, high = (entry.get("ci") or [math.nan, math.nan])[:2]
                rows.append(
                    (
                        system,
                        metric,
                        _number(entry.get("value"), where + ".value"),
                        math.nan if low is None else _number(low, where + ".ci"),
                        math.nan if high is None else _number(high, where + ".ci"),
                    )
                )
            elif isinstance(entry, int | float) and not isinstance(entry, bool):
                rows.append((system, metric, float(entry), math.nan, math.nan))
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def load_summary(results_dir: str | Path) -> pd.DataFrame:
    """Read ``results_dir/summary.json`` into the long table of :func:`summary_table`.

    Raises:
        UserInputError: the file is missing, not JSON, or not shaped as a summary.
    """
    path = Path(results_dir) / SUMMARY_FILE
    if not path.is_file():
        raise UserInputError(
            f"{path}: no results summary here; point to a results folder holding {SUMMARY_FILE}"
        )
    document = read_json(path, "a results summary written by `imgstory demo build`")
    return summary_table(document, str(path))


def saved_comparisons(results_dir: str | Path) -> pd.DataFrame:
    """Paired tests saved in ``summary.json`` under ``comparisons`` (``"a vs b" -> metric ->
    {value_a, value_b, difference, low, high, p_value, ...}``), one row per pair and metric;
    empty when there are none."""
    path = Path(results_dir) / SUMMARY_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return pd.DataFrame()
    comparisons = document.get("comparisons") if isinstance(document, dict) else None
    rows = [
        {"comparison": pair, "metric": metric, **test}
        for pair, tests in (comparisons or {}).items()
        if isinstance(tests, dict)
        for metric, test in tests.items()
        if isinstance(test, dict)
    ]
    return pd.DataFrame(rows)


def wide_table(
    long: pd.DataFrame, metrics: tuple[str, ...] = METRICS, digits: int = 4
) -> pd.DataFrame:
    """One row per system, one column per metric, cells ``value [low, high]`` (text)."""

    def cell(row: pd.Series) -> str:
        text = f"{row.value:.{digits}f}"
        if not math.isnan(row.ci_low):
            text += f" [{row.ci_low:.{digits}f}, {row.ci_high:.{digits}f}]"
        return text

    shown = [m for m in (*metrics, "theme_accuracy") if m in set(long["metric"])]
    cells = long[long["metric"].isin(shown)].assign(cell=lambda t: t.apply(cell, axis=1))
    table = cells.pivot(index="system", columns="metric", values="cell")
    table = table.reindex(sorted(table.index, key=_system_rank))[shown]
    table.insert(0, "description", [system_label(s) for s in table.index])
    table.columns.name = None
    return table.reset_index()


def plain_table(systems, metric: str, values) -> pd.DataFrame:
    """A long table (as :func:`summary_table`) of values without intervals, for charts."""
    table = pd.DataFrame({"system": list(systems), "value": [float(v) for v in values]})
    return table.assign(metric=metric, ci_low=math.nan, ci_high=math.nan)[LONG_COLUMNS]


def to_csv(long: pd.DataFrame) -> str:
    """The long table as CSV (full precision, one row per system and metric)."""
    return long.to_csv(index=False)


_LATEX_SPECIAL = {
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


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_LATEX_SPECIAL.get(character, character) for character in str(text))


def to_latex(wide: pd.DataFrame, caption: str) -> str:
    """A booktabs ``table`` of a wide result table; ``caption`` should name data and protocol."""
    columns = list(wide.columns)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{" + "l" * 2 + "r" * (len(columns) - 2) + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in columns) + r" \\",
        r"\midrule",
    ]
    for row in wide.itertuples(index=False):
        lines.append(" & ".join(latex_escape(value) for value in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{latex_escape(caption)}}}"]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def prediction_files(results_dir: str | Path) -> dict[str, Path]:
    """``system -> predictions/<system>.json`` in a results folder (canonical order)."""
    folder = Path(results_dir) / PREDICTIONS_DIR
    found = {path.stem: path for path in folder.glob("*.json")} if folder.is_dir() else {}
    return {system: found[system] for system in sorted(found, key=_system_rank)}


def finding(long: pd.DataFrame, first: str, second: str, metric: str = "METEOR") -> str | None:
    """One sentence comparing two systems on a metric, read from the table (None if absent).

    The difference is called clear only when the two 95% intervals do not overlap.
    """
    rows = long[(long["metric"] == metric) & long["system"].isin([first, second])]
    values = rows.set_index("system")
    if first not in values.index or second not in values.index:
        return None
    a, b = values.loc[first], values.loc[second]
    higher, lower = (first, second) if a.value >= b.value else (second, first)
    gap = abs(a.value - b.value)
    separated = not (math.isnan(a.ci_low) or math.isnan(b.ci_low)) and (
        a.ci_low > b.ci_high or b.ci_low > a.ci_high
    )
    verdict = (
        "a clear difference (the 95% intervals do not overlap)"
        if separated
        else "within the noise (the 95% intervals overlap)"
    )
    return (
        f"{system_label(higher)} scores {metric} {values.loc[higher].value:.4f}, "
        f"{gap:.4f} above {system_label(lower)} ({values.loc[lower].value:.4f}): {verdict}."
    )
