"""Progress bars: drawn on a terminal with the values given, silent elsewhere."""

from __future__ import annotations

import io

from rich.console import Console

from imgstory.progress import ProgressBar, track


def test_a_bar_on_a_terminal_shows_its_count_and_values():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with ProgressBar(4, "features", unit="photo", console=console) as bar:
        bar.update(3)
        bar.show(unreadable=1)
    drawn = out.getvalue()
    assert "features" in drawn
    assert "3/4" in drawn
    assert "unreadable=1" in drawn


def test_off_a_terminal_nothing_is_drawn_and_every_item_passes(capsys):
    assert list(track(range(5), 5, "stories")) == [0, 1, 2, 3, 4]
    with ProgressBar(2, "epoch 1/1") as bar:
        bar.update(2)
        bar.show(loss="0.5")
    assert capsys.readouterr().err == ""
