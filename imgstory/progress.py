"""Progress bars on stderr (rich) for anything that may take more than a second.

One library for every bar: ``track`` wraps an iterable, ``ProgressBar`` is updated by hand (feature
extraction, training epochs). Bars are drawn only on a terminal, so JSON on stdout and logs stay
clean.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


class ProgressBar:
    """A bar with count, rate, ETA and named values (``loss=0.41``); a no-op when disabled.

    Use as a context manager: ``with ProgressBar(100, "features", unit="photo") as bar:
    bar.update(16); bar.show(unreadable=2)``.
    """

    def __init__(
        self,
        total: int | None,
        description: str,
        *,
        unit: str = "item",
        enabled: bool = True,
        transient: bool = False,
        console: Console | None = None,
    ) -> None:
        self.total, self.description, self.unit = total, description, unit
        self.enabled, self.transient, self._console = enabled, transient, console
        self._progress = None
        self._task = None

    def __enter__(self) -> ProgressBar:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        console = self._console or Console(stderr=True)
        if not console.is_terminal:
            return self
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[values]}"),
        )
        self._progress = Progress(*columns, console=console, transient=self.transient)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total, rate="", values="")
        return self

    def update(self, count: int = 1) -> None:
        """Advance by ``count`` items."""
        if self._progress is None:
            return
        self._progress.advance(self._task, count)
        speed = self._progress.tasks[0].speed
        rate = f"{speed:.1f} {self.unit}/s" if speed else ""
        self._progress.update(self._task, rate=rate)

    def show(self, **values: object) -> None:
        """Show named values after the bar (replacing the previous ones)."""
        if self._progress is None:
            return
        text = " ".join(f"{name}={value}" for name, value in values.items())
        self._progress.update(self._task, values=text)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()
            self._progress = None


def track(
    items: Iterable[T], total: int | None, description: str, enabled: bool = True
) -> Iterator[T]:
    """Yield ``items`` while drawing a transient progress bar with rate and ETA on stderr."""
    with ProgressBar(total, description, enabled=enabled, transient=True) as bar:
        for item in items:
            yield item
            bar.update()
