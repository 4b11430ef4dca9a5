"""Raters at once, raters killed, holds that run out (issue 29): on a real SQLite database, no
judgement is lost or doubled and no item ends with more raters than its study asks.

The clock is the tests' own (``next_assignment``/``record_judgement``/``rater_progress`` take a
``clock``), so a hold expires without waiting 30 minutes.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from human_fixtures import small_study

from imgstory.errors import UserInputError
from imgstory.human.store import HumanStore
from imgstory.human.study import (
    STALE_ASSIGNMENT_S,
    Progress,
    Study,
    load_study,
    next_assignment,
    rater_progress,
    record_judgement,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A clock the test moves: ``clock()`` is the time, ``clock.now += s`` moves it."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def raters_of(store: HumanStore, item_id: int) -> set[str]:
    """The raters with a judgement of the item."""
    with store.read() as connection:
        rows = connection.execute("SELECT rater FROM judgements WHERE item_id = ?", (item_id,))
        return {row[0] for row in rows}


def rate_everything(store: HumanStore, study: Study, rater: str, clock: Clock) -> list[int]:
    """Rate every item the rater is offered ('tie' to every aspect); the items rated."""
    rated = []
    while (assignment := next_assignment(store, study, rater, clock=clock)) is not None:
        for aspect in assignment.aspects_left:
            record_judgement(store, study, rater, assignment.item_id, aspect, "tie", clock=clock)
        rated.append(assignment.item_id)
    return rated


def test_a_late_rater_whose_hold_expired_never_makes_one_rater_too_many(tmp_path):
    """Issue 29.11: an item held past 30 minutes could end with one rater more than asked."""
    store = small_study(tmp_path / "p.sqlite", per_item=1)
    study, clock = load_study(store, "study"), Clock()
    held = next_assignment(store, study, "ann", clock=clock).item_id
    record_judgement(store, study, "ann", held, "relevance", "left", clock=clock)  # then leaves
    clock.now += STALE_ASSIGNMENT_S + 1
    taken = next_assignment(store, study, "bob", clock=clock)  # the expired hold does not count
    while taken.item_id != held:
        record_judgement(store, study, "bob", taken.item_id, "relevance", "tie", clock=clock)
        record_judgement(store, study, "bob", taken.item_id, "coherent", "tie", clock=clock)
        taken = next_assignment(store, study, "bob", clock=clock)
    with pytest.raises(UserInputError, match="held this item over 30 minutes"):
        record_judgement(store, study, "ann", held, "coherent", "left", clock=clock)  # ann is back
    assert raters_of(store, held) == set()  # ann's earlier answer is not counted either
    rate_everything(store, study, "bob", clock)
    assert raters_of(store, held) == {"bob"}  # one rater, as the study asks
    assert next_assignment(store, study, "ann", clock=clock) is None  # never offered again
    assert rater_progress(store, study, "ann", clock=clock) == Progress(done=0, total=0)


def test_an_expired_hold_nobody_took_is_kept_and_renewed(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=1)
    study, clock = load_study(store, "study"), Clock()
    held = next_assignment(store, study, "ann", clock=clock).item_id
    clock.now += STALE_ASSIGNMENT_S + 1
    assert record_judgement(store, study, "ann", held, "relevance", "left", clock=clock)
    assert held not in rate_everything(store, study, "bob", clock)  # the renewed hold counts
    assert next_assignment(store, study, "ann", clock=clock).item_id == held
    clock.now += STALE_ASSIGNMENT_S + 1  # and again: nobody is waiting, it is still hers
    assert next_assignment(store, study, "ann", clock=clock).item_id == held
    assert record_judgement(store, study, "ann", held, "coherent", "tie", clock=clock)
    assert raters_of(store, held) == {"ann"}


def check_counts(store: HumanStore, study: Study, *, full: bool) -> None:
    """No item has more raters than asked; a finished assignment has every aspect answered;
    every judgement belongs to an assignment; with ``full``, every item has exactly its
    raters, each with every aspect, and no unfinished assignment holds answers."""
    aspects = len(study.aspects)
    with store.read() as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute(
            "SELECT items.item_id, a.rater, a.completed_at, "
            "(SELECT COUNT(*) FROM judgements j WHERE j.item_id = a.item_id "
            " AND j.rater = a.rater) AS answered "
            "FROM items LEFT JOIN assignments a USING (item_id) WHERE study_id = ?",
            (study.study_id,),
        ).fetchall()
        stray = connection.execute(
            "SELECT COUNT(*) FROM judgements j WHERE NOT EXISTS (SELECT 1 FROM assignments a "
            "WHERE a.item_id = j.item_id AND a.rater = j.rater)"
        ).fetchone()[0]
    assert stray == 0
    finished: dict[int, int] = {}
    for item_id, rater, completed_at, answered in rows:
        finished.setdefault(item_id, 0)
        if completed_at is not None:
            finished[item_id] += 1
            assert answered == aspects, (item_id, rater)
        elif full:
            assert answered == 0, (item_id, rater)
    assert max(finished.values()) <= study.judgements_per_item
    if full:
        assert set(finished.values()) == {study.judgements_per_item}


def test_16_raters_at_once_some_walking_away_never_overfill_an_item(tmp_path):
    """16 raters in threads; half take an item and walk away, the clock passes their holds'
    limit, then all 16 rate at once, every click sent twice."""
    store = small_study(tmp_path / "p.sqlite", systems=("a", "b", "c", "d"), per_item=5)
    study, clock = load_study(store, "study"), Clock()  # 18 items, 5 raters each
    raters = [f"rater{n:02d}" for n in range(16)]
    made: list[tuple[str, int, str]] = []
    errors: list[BaseException] = []

    def walk_away(rater: str, start: threading.Barrier) -> None:
        start.wait()
        next_assignment(store, study, rater, clock=clock)

    def rate(rater: str, start: threading.Barrier) -> None:
        try:
            start.wait()
            while (assignment := next_assignment(store, study, rater, clock=clock)) is not None:
                for aspect in assignment.aspects_left:
                    for _ in range(2):  # every click arrives twice
                        item = assignment.item_id
                        if record_judgement(store, study, rater, item, aspect, "tie", clock=clock):
                            made.append((rater, item, aspect))
        except BaseException as error:
            errors.append(error)

    for target, who in ((walk_away, raters[::2]), (rate, raters)):
        start = threading.Barrier(len(who))
        threads = [threading.Thread(target=target, args=(rater, start)) for rater in who]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        clock.now += STALE_ASSIGNMENT_S + 1  # the walked-away holds expire
    assert not errors, errors
    check_counts(store, study, full=True)
    with store.read() as connection:
        stored = connection.execute("SELECT rater, item_id, aspect FROM judgements").fetchall()
    assert sorted(map(tuple, stored)) == sorted(made)  # none lost, none doubled
    assert len(made) == 18 * 5 * 2


#: A rater in its own process: rates until done, logging each stored answer after its commit.
RATER = """
import sys
from imgstory.human.store import HumanStore
from imgstory.human.study import load_study, next_assignment, record_judgement
store = HumanStore.open(sys.argv[1])
study = load_study(store, "study")
rater = sys.argv[2]
with open(sys.argv[3], "a") as log:
    while (assignment := next_assignment(store, study, rater)) is not None:
        for aspect in assignment.aspects_left:
            if record_judgement(store, study, rater, assignment.item_id, aspect, "tie"):
                log.write(f"{rater} {assignment.item_id} {aspect}\\n")
                log.flush()
"""


def stored_count(log: Path) -> int:
    """How many answers the rater processes logged as stored."""
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_raters_killed_at_random_moments_lose_and_double_nothing(tmp_path):
    """8 rater processes killed with SIGKILL at random moments, 6 rounds, the same raters
    coming back each round: the database stays whole, every answer a rater saw stored is there,
    no item is overfilled, and the raters then finish the study exactly."""
    store = small_study(tmp_path / "p.sqlite", systems=("a", "b", "c", "d"), per_item=3)
    study = load_study(store, "study")
    log = tmp_path / "stored.log"
    raters = [f"rater{n}" for n in range(8)]
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    rng = random.Random(29)
    killed = 0
    for _ in range(6):
        before = stored_count(log)
        children = [
            subprocess.Popen(
                [sys.executable, "-c", RATER, str(store.path), rater, str(log)],
                env=environment,
                cwd=REPO_ROOT,
            )
            for rater in raters
        ]
        deadline = time.monotonic() + 20  # until they are at work (start-up varies with load)
        while stored_count(log) == before and time.monotonic() < deadline:
            if all(child.poll() is not None for child in children):
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.2))
        for child in children:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                killed += 1
        assert {child.wait(timeout=30) for child in children} <= {0, -signal.SIGKILL}
        check_counts(store, study, full=False)
    assert killed and stored_count(log)  # the kills landed while answers were being stored
    with store.read() as connection:
        stored = {tuple(map(str, row)) for row in connection.execute(
            "SELECT rater, item_id, aspect FROM judgements")}  # fmt: skip
    logged = [tuple(line.split(" ", 2)) for line in log.read_text().splitlines()]
    assert len(logged) == len(set(logged)) and set(logged) <= stored
    for rater in raters:
        rate_everything(store, study, rater, Clock(time.time()))
    check_counts(store, study, full=True)
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM judgements").fetchone()[0] == 18 * 3 * 2
    connection.close()
