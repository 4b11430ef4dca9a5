"""Every judgement of a database (or one study) as a CSV file, one row per answer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from imgstory.human.store import HumanStore
from imgstory.outputs import atomic_file
from imgstory.spreadsheet import safe_cell

CSV_COLUMNS = (
    "study", "kind", "item_id", "album_id", "photo_ids", "rater", "aspect", "answer", "choice",
    "left_system", "right_system", "system_a", "system_b", "answered_at",
)  # fmt: skip


def judgement_rows(store: HumanStore, study: str | None = None) -> list[dict[str, object]]:
    """One dict per judgement (``CSV_COLUMNS``), in the order they were made."""
    query = (
        "SELECT s.name AS study, s.kind, i.item_id, i.album_id, i.photo_ids, j.rater, j.aspect, "
        "j.answer, j.choice, j.left_system, i.system_a, i.system_b, "
        "strftime('%Y-%m-%dT%H:%M:%fZ', j.answered_at, 'unixepoch') AS answered_at "
        "FROM judgements j JOIN items i USING (item_id) JOIN studies s USING (study_id) "
    )
    parameters: tuple = ()
    if study is not None:
        query += "WHERE s.name = ? "
        parameters = (study,)
    with store.read() as connection:
        rows = [
            dict(row) for row in connection.execute(query + "ORDER BY j.judgement_id", parameters)
        ]
    for row in rows:
        row["photo_ids"] = " ".join(store.stored_json(row["photo_ids"], "an item's photo ids"))
        left = row["left_system"]
        row["right_system"] = (
            (row["system_b"] if left == row["system_a"] else row["system_a"]) if left else None
        )
    return rows


def csv_text(rows: list[dict[str, object]]) -> str:
    """Judgement rows as CSV text (``CSV_COLUMNS``; the page's download); a cell a spreadsheet
    would run as a formula (a rater named ``=HYPERLINK(...)``) is kept as text."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows({column: safe_cell(row.get(column)) for column in CSV_COLUMNS} for row in rows)
    return buffer.getvalue()


def write_csv(rows: list[dict[str, object]], path: Path) -> Path:
    """Write judgement rows to ``path`` atomically (the caller has checked the path)."""
    with atomic_file(path) as temporary:
        temporary.write_text(csv_text(rows), encoding="utf-8", newline="")
    return path
