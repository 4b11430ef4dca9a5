"""``imgstory human``: the numbers of a human study (``report``) and its judgements (``export``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from imgstory.cli.printing import number
from imgstory.jsonfile import json_text
from imgstory.outputs import OVERWRITE_HELP

if TYPE_CHECKING:
    from imgstory.human.stats import Rate, StudyReport

human_app = typer.Typer(
    help="Human evaluation studies (made and rated on the app's Human evaluation page).",
    no_args_is_help=True,
)
DB_HELP = "the study database (<IMGSTORY_DATA_DIR>/human/<project>.sqlite; the page shows its path)"
STUDY_HELP = "one study by name (default: every study in the database)"


@human_app.command("report")
def report(
    db: Path = typer.Option(..., "--db", help=DB_HELP),
    study: str | None = typer.Option(None, "--study", help=STUDY_HELP),
    json_output: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Wins/ties/losses or judged-human rates with 95% intervals, and inter-rater agreement."""
    from imgstory.human.stats import study_report
    from imgstory.human.store import HumanStore

    store = HumanStore.open(db)
    names = [study] if study is not None else store.study_names()
    reports = [study_report(store, name) for name in names]
    if json_output:
        documents = [one.to_json() for one in reports]
        print(json_text(documents[0] if study is not None else {"studies": documents}, indent=1))
        return
    if not reports:
        print(f"{db}: no studies yet")
    for one in reports:
        _print_report(one)


def _interval(cell: Rate) -> str:
    if not cell.n:
        return "-"
    return (
        f"{cell.count} ({number(cell.value, '.0%')}, "
        f"{number(cell.low, '.0%')}-{number(cell.high, '.0%')})"
    )


def _print_report(report: StudyReport) -> None:
    print(
        f"study {report.study} ({report.kind.value}; data: {report.data}): "
        f"{report.judgements} judgements by {report.raters} raters on {report.items} "
        f"items, {report.items_fully_judged} with {report.judgements_per_item} raters"
    )
    for row in report.pairwise or ():
        print(
            f"  {row.aspect:<15} {row.system} vs {row.versus} (n={row.n}): "
            f"wins {_interval(row.wins)}, ties {_interval(row.ties)}, "
            f"losses {_interval(row.losses)}"
        )
    for one in report.turing or ():
        print(f"  {one.system:<20} judged human {_interval(one.judged_human)}")
    for agreement in report.agreement:
        alpha = agreement.krippendorff_alpha
        shown = "undefined" if alpha is None else number(alpha, ".3f")
        print(
            f"  agreement on {agreement.aspect}: Krippendorff's alpha {shown} "
            f"({agreement.items_with_2_or_more} items judged by 2+ raters)"
        )
    print(f"  {report.intervals}")


@human_app.command("export")
def export(
    db: Path = typer.Option(..., "--db", help=DB_HELP),
    csv_file: Path = typer.Option(..., "--csv", help="the CSV file to write, one row a judgement"),
    study: str | None = typer.Option(None, "--study", help=STUDY_HELP),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
) -> None:
    """Write every judgement (rater, item, aspect, answer, which system was left) as CSV."""
    from imgstory.human.export import judgement_rows, write_csv
    from imgstory.human.store import HumanStore
    from imgstory.human.study import load_study
    from imgstory.outputs import check_output_file

    path = check_output_file(csv_file, inputs=(db,), overwrite=overwrite, what="CSV file")
    store = HumanStore.open(db)
    if study is not None:
        load_study(store, study)  # a clear message for an unknown name
    rows = judgement_rows(store, study)
    write_csv(rows, path)
    print(f"wrote {len(rows)} judgements to {path}")


def register(app: typer.Typer) -> None:
    """Add the ``human`` command group to the main ``imgstory`` app."""
    app.add_typer(human_app, name="human")
