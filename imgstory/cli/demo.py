"""``imgstory demo``: build the offline demo pack (generated VIST-format data, models, results).

Nothing heavy is imported until ``build`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from imgstory.cli.printing import NOT_AVAILABLE, number
from imgstory.demo.options import BUILD_HELP
from imgstory.jsonfile import json_text
from imgstory.paths import DEMO_DIR

demo_app = typer.Typer(
    help="The offline demo pack: generated scenes in VIST format, models and results.",
    no_args_is_help=True,
)


def build(
    out: Path = typer.Option(DEMO_DIR, "--out", help=BUILD_HELP["out"]),
    seed: int = typer.Option(0, "--seed", help=BUILD_HELP["seed"]),
    encoder: str = typer.Option("handcrafted", "--encoder", help=BUILD_HELP["encoder"]),
    config: str = typer.Option("small", "--config", help=BUILD_HELP["config"]),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object to stdout"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="progress bars on stderr"),
) -> None:
    """Generate the dataset, extract features, train LSTM and GRU, then predict and score."""
    from imgstory.demo.builder import SUMMARY_METRICS, build_demo_pack

    report = build_demo_pack(
        out,
        seed=seed,
        encoder=encoder,
        config=config,
        progress=progress and not as_json,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if as_json:
        print(json_text({"out": str(out), "timings": report.timings, **report.summary.to_json()}))
        return
    print(f"demo pack written to {out} in {report.timings['total']:.0f} s")
    print(f"{'system':12}" + "".join(f"{m:>24}" for m in SUMMARY_METRICS) + f"{'theme':>8}")
    for system, scores in report.summary.systems.items():
        cells = []
        for metric in SUMMARY_METRICS:
            entry = scores.intervals.get(metric)
            cells.append(
                f"{number(entry.value, '.3f')} [{number(entry.low, '.3f')}, "
                f"{number(entry.high, '.3f')}]"
                if entry
                else NOT_AVAILABLE
            )
        print(
            f"{system:12}"
            + "".join(f"{c:>24}" for c in cells)
            + f"{number(scores.values.get('theme_accuracy'), '.0%'):>8}"
        )


def register(app: typer.Typer) -> None:
    """Add ``imgstory demo build`` to the main ``imgstory`` app."""
    demo_app.command("build")(build)
    app.add_typer(demo_app, name="demo")
