"""Per-story score tables for the Generate page: one story is a column of scores, one row per
metric (it fits beside the references); several stories (compare mode) are one row each, named
by model and decoding, with a column per metric. Values carry 3 digits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from imgstory.app.i18n import N_, error_text
from imgstory.app.naming import DIGITS, METRIC_NAMES
from imgstory.errors import UserInputError

#: The protocol scorers' metrics, in the app's order and names (:mod:`imgstory.app.naming`).
PROTOCOL_COLUMNS = {
    key: METRIC_NAMES[key] for key in ("METEOR", "ROUGE_L", "Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4")
}
EXTRA_COLUMNS = {
    "rouge1": "ROUGE-1 (rouge-score)",
    "rouge2": "ROUGE-2 (rouge-score)",
    "rougeL": "ROUGE-L (rouge-score)",
    "nltk_bleu": "BLEU-4 (nltk)",
    "nltk_meteor": "METEOR (nltk)",
}
#: Notes that say only that an optional extra is absent: not repeated under every story.
QUIET_NOTE_STARTS = ("nltk METEOR skipped",)


@dataclass
class ScoreTables:
    """What the page shows under the stories: the tables and the lines to say."""

    protocol: pd.DataFrame | None = None
    extras: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def story_name(result: Any) -> str:
    """How a story is named in the tables (``StoryResult.name``: model · decoding)."""
    return result.name


def _table(rows: list[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame | None:
    """One story: a ``metric`` column and its ``score``s. Several: a ``story`` column (model ·
    decoding) and a column per metric. Rounded to :data:`DIGITS`."""
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("story")
    shown = [key for key in columns if key in table]
    table = table[shown].rename(columns=columns).round(DIGITS)
    if len(table) > 1:
        table.index.name = N_("story")
        return table.reset_index()
    table = table.T
    table.columns = [N_("score")]
    table.index.name = N_("metric")
    return table.reset_index()


def story_score_tables(results: Sequence[Any], score: Callable[[Any], Any]) -> ScoreTables:
    """Score each result with ``score`` (-> ``StoryScores``) and lay the scores out.

    A story that cannot be scored (``UserInputError``) becomes a warning naming it.
    """
    tables = ScoreTables()
    protocol, extras = [], []
    for result in results:
        short = story_name(result)
        try:
            scores = score(result)
        except UserInputError as error:
            tables.warnings.append(f"{story_name(result)}: {error_text(error)}")
            continue
        protocol.append({"story": short, **scores.protocol})
        if scores.extras:
            extras.append({"story": short, **scores.extras})
        for note in scores.notes:
            if note not in tables.notes and not note.startswith(QUIET_NOTE_STARTS):
                tables.notes.append(note)
    tables.protocol = _table(protocol, PROTOCOL_COLUMNS)
    tables.extras = _table(extras, EXTRA_COLUMNS)
    return tables
