"""The human-evaluation database and study logic: schema, refusals, assignment, no doubles."""

from __future__ import annotations

import random
import sqlite3
import threading

import pytest
from human_fixtures import ALBUMS, small_study, system

from imgstory.errors import UserInputError
from imgstory.human.store import SCHEMA_VERSION, HumanStore, project_db_path
from imgstory.human.study import (
    STALE_ASSIGNMENT_S,
    Progress,
    StudySpec,
    create_study,
    load_study,
    next_assignment,
    rater_progress,
    record_judgement,
)


def count(store: HumanStore, table: str) -> int:
    with store.read() as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_a_new_database_is_wal_with_a_schema_version(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    with store.read() as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.study_names() == ["study"]
    assert count(store, "items") == 3  # 3 albums x 1 pair
    assert HumanStore.open(tmp_path / "p.sqlite").study_names() == ["study"]  # reopened


def test_the_data_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGSTORY_DATA_DIR", str(tmp_path))
    assert project_db_path("thesis") == tmp_path / "human" / "thesis.sqlite"
    monkeypatch.delenv("IMGSTORY_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert project_db_path("x") == tmp_path / "xdg" / "imgstory" / "human" / "x.sqlite"
    with pytest.raises(UserInputError, match="project name"):
        project_db_path("../escape")


def test_a_missing_database_is_not_created_unless_asked(tmp_path):
    with pytest.raises(UserInputError, match="no such database"):
        HumanStore.open(tmp_path / "none.sqlite")
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize("content", [b"study,rater\nx,ann\n", b""])
def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path, content):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(content)
    with pytest.raises(UserInputError, match="not an IMG_Story human-evaluation database"):
        HumanStore.open(path, create=True)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]  # no -wal, no -shm


def test_a_newer_schema_is_refused_untouched(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    with store.read() as connection:
        connection.execute("PRAGMA journal_mode = DELETE")  # fold the WAL into the file
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = (tmp_path / "p.sqlite").read_bytes()
    with pytest.raises(UserInputError, match=r"newer IMG_Story \(database schema 2"):
        HumanStore.open(tmp_path / "p.sqlite", create=True)
    assert (tmp_path / "p.sqlite").read_bytes() == before


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE photos (id TEXT)")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(UserInputError, match="another program"):
        HumanStore.open(path, create=True)
    assert path.read_bytes() == before


def test_a_study_with_one_system_is_refused_and_the_others_kept(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    spec = StudySpec("solo", "pairwise", (system("lstm"),), ALBUMS)
    with pytest.raises(UserInputError, match=r"two systems or more; found 1 \(lstm\)"):
        create_study(store, spec)
    turing_without_people = StudySpec("t", "turing", (system("a"), system("b")), ALBUMS)
    with pytest.raises(UserInputError, match="human reference stories with machine ones"):
        create_study(store, turing_without_people)
    with pytest.raises(UserInputError, match="already exists"):
        create_study(store, StudySpec("study", "pairwise", (system("a"), system("b")), ALBUMS))
    assert store.study_names() == ["study"]
    assert count(store, "items") == 3


def test_an_empty_rater_name_is_refused_and_nothing_written(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    study = load_study(store, "study")
    with pytest.raises(UserInputError, match="rater name is empty"):
        next_assignment(store, study, "   ")
    assert count(store, "assignments") == 0


def test_raters_never_see_an_item_twice_and_items_stop_at_their_quota(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=2)
    study = load_study(store, "study")
    seen: dict[str, list[int]] = {}
    for rater in ("ann", "bob", "cem"):
        while (
            assignment := next_assignment(store, study, rater, random.Random(rater))
        ) is not None:
            seen.setdefault(rater, []).append(assignment.item_id)
            for aspect in assignment.aspects_left:
                assert record_judgement(store, study, rater, assignment.item_id, aspect, "tie")
    assert all(len(items) == len(set(items)) for items in seen.values())
    per_item = [sum(item in items for items in seen.values()) for item in range(1, 4)]
    assert per_item == [2, 2, 2]  # 3 items x 2 judgements, no more
    assert sum(len(items) for items in seen.values()) == 6
    assert count(store, "judgements") == 6 * 2  # two aspects each
    assert rater_progress(store, study, "ann").done == len(seen["ann"])


def test_left_right_is_drawn_recorded_and_read_back_as_the_system(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=20, aspects=("relevance",))
    study = load_study(store, "study")
    rng = random.Random(3)
    lefts = []
    for rater in (f"r{n}" for n in range(12)):
        assignment = next_assignment(store, study, rater, rng)
        lefts.append(assignment.left_system)
        left_story = assignment.stories[0]
        assert left_story.startswith(assignment.left_system)  # the story shown left is its own
        record_judgement(store, study, rater, assignment.item_id, "relevance", "left")
    assert set(lefts) == {"lstm", "gru"}
    with store.read() as connection:
        rows = connection.execute("SELECT choice, left_system FROM judgements").fetchall()
    assert [row["choice"] for row in rows] == lefts == [row["left_system"] for row in rows]


def test_a_repeated_click_counts_once_and_an_unassigned_item_is_refused(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    study = load_study(store, "study")
    assignment = next_assignment(store, study, "ann")
    assert record_judgement(store, study, "ann", assignment.item_id, "relevance", "left")
    assert not record_judgement(store, study, "ann", assignment.item_id, "relevance", "right")
    assert count(store, "judgements") == 1
    with pytest.raises(UserInputError, match="not assigned"):
        record_judgement(store, study, "bob", assignment.item_id, "relevance", "left")
    with pytest.raises(UserInputError, match="answer 'best'"):
        record_judgement(store, study, "ann", assignment.item_id, "coherent", "best")


def test_a_rater_who_stops_resumes_on_the_same_item_and_question(tmp_path):
    store = small_study(tmp_path / "p.sqlite")
    study = load_study(store, "study")
    first = next_assignment(store, study, "ann")
    record_judgement(store, study, "ann", first.item_id, "relevance", "right")
    again = next_assignment(store, study, "ann")
    assert (again.item_id, again.left_system, again.aspects_left) == (
        first.item_id,
        first.left_system,
        ("coherent",),
    )


def test_a_turing_rater_never_sees_the_same_album_twice(tmp_path):
    store = small_study(tmp_path / "p.sqlite", kind="turing", systems=("lstm",), per_item=5)
    study = load_study(store, "study")
    assert study.aspects == ("human",)
    albums = []
    while (assignment := next_assignment(store, study, "ann")) is not None:
        albums.append(assignment.album_id)
        record_judgement(store, study, "ann", assignment.item_id, "human", "machine")
    assert sorted(albums) == ["album1", "album2", "album3"]  # 6 items, 3 albums
    assert rater_progress(store, study, "ann") == Progress(done=3, total=3)
    assert rater_progress(store, study, "bob") == Progress(done=0, total=3)  # one per album


def test_concurrent_raters_lose_nothing_and_double_nothing(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=8)
    study = load_study(store, "study")
    made = []
    errors = []

    def rate(rater: str) -> None:
        try:
            while (assignment := next_assignment(store, study, rater)) is not None:
                for aspect in assignment.aspects_left:
                    for _ in range(2):  # every click arrives twice
                        if record_judgement(store, study, rater, assignment.item_id, aspect, "tie"):
                            made.append((rater, assignment.item_id, aspect))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=rate, args=(f"rater{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(made) == len(set(made)) == 8 * 3 * 2 == count(store, "judgements")


def test_an_item_left_open_too_long_is_offered_to_another_rater(tmp_path):
    store = small_study(tmp_path / "p.sqlite", per_item=1, aspects=("relevance",))
    study = load_study(store, "study")
    held = next_assignment(store, study, "ann").item_id  # ann stops without answering
    assert next_assignment(store, study, "ann").item_id == held  # it stays hers
    others = []
    while (assignment := next_assignment(store, study, "bob")) is not None:
        others.append(assignment.item_id)
        record_judgement(store, study, "bob", assignment.item_id, "relevance", "tie")
    assert held not in others and len(others) == 2  # ann's open item keeps its place
    with store.transaction() as connection:
        connection.execute(
            "UPDATE assignments SET assigned_at = assigned_at - ? WHERE rater = 'ann'",
            (STALE_ASSIGNMENT_S + 1,),
        )
    assert next_assignment(store, study, "cem").item_id == held  # stale: offered again


def test_a_write_that_waits_past_the_busy_timeout_is_one_line(tmp_path, monkeypatch):
    """Issue 29.8: `database is locked` reached the rater as a traceback after 30 s."""
    import sqlite3

    from human_fixtures import small_study

    from imgstory.errors import UserInputError
    from imgstory.human import store as store_module
    from imgstory.human.study import load_study, next_assignment

    store = small_study(tmp_path / "p.sqlite")
    study = load_study(store, "study")
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)  # a short wait, same path
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(UserInputError, match=r"p.sqlite: the database stayed busy for 0.2 s"):
            next_assignment(store, study, "ann")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert next_assignment(store, study, "ann") is not None  # and works once it is free
