"""Human studies: what they ask, creating one with its items, and handing items to raters.

A pairwise item is one album told by two systems (the rater sees both stories, left/right drawn
at random and recorded, and answers per aspect: left, right or tie); a Turing item is one album
told by one system, human or machine (the rater answers: a person or a machine wrote it). The
stories and photo ids are copied into the database, so results never depend on files that change.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from imgstory.data.sis import Story
from imgstory.errors import UserInputError
from imgstory.human.store import HumanStore
from imgstory.i18n import N_


class StudyKind(StrEnum):
    """What a study asks: which of two stories is better (pairwise), or whether a person or a
    machine wrote one story (Turing). The value is what the database and reports store."""

    PAIRWISE = "pairwise"
    TURING = "turing"


PAIRWISE = StudyKind.PAIRWISE
TURING = StudyKind.TURING
KINDS = tuple(StudyKind)
KIND_HELP = N_(
    "pairwise: two stories of the same photos side by side, the rater picks the better one per "
    "aspect or 'tie' (AREL, TAPM); Turing test: one story, the rater says whether a person or a "
    "machine wrote it (AREL), mixing the album's human reference story with machine ones"
)
#: Aspect key -> the question a rater answers (TAPM's three, then VIST-Edit's six).
ASPECTS = {
    "expressiveness": N_("Which story is more expressive (richer, more vivid language)?"),
    "concreteness": N_("Which story is more concrete (names the things in the photos)?"),
    "relevance": N_("Which story is more relevant to the photos?"),
    "focused": N_("Which story is more focused (stays on one topic)?"),
    "coherent": N_("Which story is more coherent (its sentences follow on)?"),
    "would share": N_("Which story would you rather share with the photos?"),
    "sounds human": N_("Which story sounds more like a person wrote it?"),
    "grounded": N_("Which story is better grounded in what the photos show?"),
    "detailed": N_("Which story is more detailed?"),
}
DEFAULT_ASPECTS = ("expressiveness", "concreteness", "relevance")
TURING_ASPECT = "human"
TURING_QUESTION = N_("Was this story written by a person or by a machine?")
PAIRWISE_ANSWERS = ("left", "tie", "right")
TURING_ANSWERS = ("human", "machine")
TIE = "tie"
#: An open assignment older than this stops holding its item's place for other raters.
STALE_ASSIGNMENT_S = 30 * 60
MAX_RATER_NAME = 80
JUDGEMENTS_HELP = N_(
    "how many different raters judge each item (TAPM used 5); an item is offered until it has "
    "this many, and no rater ever sees an item twice"
)


@dataclass(frozen=True)
class SystemStories:
    """One system of a study: its name, where its stories came from, ``album_id -> story``."""

    name: str
    description: str
    stories: dict[str, str]
    is_human: bool = False


@dataclass(frozen=True)
class AlbumPhotos:
    """An album of a study and the photo sequence raters see, in story order."""

    album_id: str
    photo_ids: tuple[str, ...]


@dataclass(frozen=True)
class StudySpec:
    """Everything a study is made from; :func:`create_study` checks it before writing."""

    name: str
    kind: StudyKind
    systems: tuple[SystemStories, ...]
    albums: tuple[AlbumPhotos, ...]
    aspects: tuple[str, ...] = DEFAULT_ASPECTS
    judgements_per_item: int = 3
    data_label: str = ""
    images_dir: str | None = None


@dataclass(frozen=True)
class Study:
    """A study as stored."""

    study_id: int
    name: str
    kind: StudyKind
    aspects: tuple[str, ...]
    judgements_per_item: int
    data_label: str
    images_dir: str | None
    systems: dict[str, str]
    human_systems: frozenset[str]


@dataclass(frozen=True)
class Assignment:
    """The item a rater is working on: photos, stories in the order shown, aspects left."""

    item_id: int
    album_id: str
    photo_ids: tuple[str, ...]
    stories: tuple[str, ...]
    left_system: str | None
    aspects_left: tuple[str, ...]


@dataclass(frozen=True)
class Progress:
    """A rater's progress: items finished, and finished + in hand + still open to them."""

    done: int
    total: int


def human_reference_system(first: dict[str, Story]) -> SystemStories:
    """The human system: for each album, the reference story written for the photos shown."""
    return SystemStories(
        name="human reference",
        description="the album's first VIST story (written by a person for these photos)",
        stories={album: story.story_text for album, story in first.items()},
        is_human=True,
    )


def sample_albums(album_ids: list[str], size: int, seed: int = 0) -> list[str]:
    """``size`` albums drawn at random (seeded), in their original order; all when fewer."""
    if size >= len(album_ids):
        return list(album_ids)
    chosen = set(random.Random(seed).sample(album_ids, size))
    return [album for album in album_ids if album in chosen]


def clean_rater_name(name: str) -> str:
    """A rater's name with spaces tidied.

    Raises:
        UserInputError: empty or longer than ``MAX_RATER_NAME`` characters.
    """
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise UserInputError(
            N_(
                "rater name is empty: type your name (or an alias) so your answers are kept "
                "together and you can resume later"
            )
        )
    if len(cleaned) > MAX_RATER_NAME:
        raise UserInputError(
            N_("rater name is {length} characters; use {most} or fewer"),
            length=len(cleaned),
            most=MAX_RATER_NAME,
        )
    return cleaned


#: What one visitor can make a project hold (studies are made from a page anyone can open).
MAX_STUDY_NAME = 100
MAX_STUDIES = 50
MAX_SYSTEMS = 10
#: The longest story a study stores (characters); VIST stories are ~300.
MAX_STORY_CHARS = 5_000


def _check_spec(spec: StudySpec) -> None:
    if not spec.name.strip():
        raise UserInputError(N_("study name is empty: name the study (e.g. 'lstm-vs-gru')"))
    if len(spec.name.strip()) > MAX_STUDY_NAME:
        raise UserInputError(
            N_("study name is {length} characters; use {most} or fewer"),
            length=len(spec.name.strip()),
            most=MAX_STUDY_NAME,
        )
    if len(spec.systems) > MAX_SYSTEMS:
        raise UserInputError(
            N_("a study compares at most {most} systems; {count} chosen"),
            most=MAX_SYSTEMS,
            count=len(spec.systems),
        )
    if spec.kind not in KINDS:
        raise UserInputError(f"study kind {str(spec.kind)!r}: choose {' or '.join(KINDS)}")
    names = [system.name for system in spec.systems]
    if len(set(names)) != len(names):
        raise UserInputError(
            N_("two systems share a name ({names}): rename one"), names=", ".join(names)
        )
    if len(names) < 2:
        raise UserInputError(
            N_(
                "a study compares two systems or more; found {found}. Add another prediction "
                "file, model or the human references"
            ),
            found=f"1 ({names[0]})" if names else N_("none"),
        )
    if spec.kind == TURING:
        humans = [s.name for s in spec.systems if s.is_human]
        if not humans or len(humans) == len(names):
            raise UserInputError(
                N_(
                    "a Turing test mixes human reference stories with machine ones: choose the "
                    "human references and at least one machine system"
                )
            )
    elif not spec.aspects:
        raise UserInputError(
            N_("choose at least one aspect to judge ({aspects})"), aspects=", ".join(ASPECTS)
        )
    unknown = [aspect for aspect in spec.aspects if aspect not in ASPECTS]
    if spec.kind == PAIRWISE and unknown:
        raise UserInputError(f"unknown aspect {unknown[0]!r}: choose from {', '.join(ASPECTS)}")
    if spec.judgements_per_item < 1:
        raise UserInputError("judgements per item must be 1 or more")
    if not spec.albums:
        raise UserInputError(
            N_("no albums chosen: pick albums that have photos in this data source")
        )
    for system in spec.systems:
        missing = [album.album_id for album in spec.albums if album.album_id not in system.stories]
        if missing:
            raise UserInputError(
                N_(
                    "system {system} has no story for {missing} of the chosen albums (e.g. "
                    "{examples}); choose albums every system has told"
                ),
                system=repr(system.name),
                missing=len(missing),
                examples=", ".join(missing[:3]),
            )
        stories = system.stories
        too_long = [a.album_id for a in spec.albums if len(stories[a.album_id]) > MAX_STORY_CHARS]
        if too_long:
            raise UserInputError(
                N_(
                    "system {system}: the story of album {album} is over {most} characters; a "
                    "study stores stories of at most {most}"
                ),
                system=repr(system.name),
                album=too_long[0],
                most=MAX_STORY_CHARS,
            )


def create_study(store: HumanStore, spec: StudySpec, seed: int = 0) -> int:
    """Check ``spec`` and write the study, its systems and items in one transaction.

    Returns:
        The new study's id.

    Raises:
        UserInputError: a bad spec (see the messages) or a name already used in this database.
    """
    _check_spec(spec)
    aspects = spec.aspects if spec.kind == PAIRWISE else (TURING_ASPECT,)
    items = []
    for album in spec.albums:
        if spec.kind == PAIRWISE:
            for first, second in itertools.combinations(spec.systems, 2):
                items.append((album, first, second))
        else:
            items += [(album, system, None) for system in spec.systems]
    random.Random(seed).shuffle(items)
    with store.transaction() as connection:
        count = connection.execute("SELECT COUNT(*) FROM studies").fetchone()[0]
        if count >= MAX_STUDIES:
            raise UserInputError(
                N_("{path} holds {count} studies, the most a project may; use another project"),
                path=store.path.name,
                count=count,
            )
        try:
            study_id = connection.execute(
                "INSERT INTO studies (name, kind, aspects, judgements_per_item, data_label, "
                "images_dir, created_at) VALUES (?, ?, ?, ?, ?, ?, datetime('now'))",
                (spec.name.strip(), StudyKind(spec.kind).value, json.dumps(list(aspects)),
                 spec.judgements_per_item, spec.data_label, spec.images_dir),
            ).lastrowid  # fmt: skip
        except sqlite3.IntegrityError:
            raise UserInputError(
                N_(
                    "a study named {name} already exists in {path}; choose another name (the "
                    "existing study is unchanged)"
                ),
                name=repr(spec.name.strip()),
                path=store.path,
            ) from None
        connection.executemany(
            "INSERT INTO systems (study_id, name, description, is_human) VALUES (?, ?, ?, ?)",
            [(study_id, s.name, s.description, int(s.is_human)) for s in spec.systems],
        )
        connection.executemany(
            "INSERT INTO items (study_id, position, album_id, photo_ids, system_a, story_a, "
            "system_b, story_b) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (study_id, position, album.album_id, json.dumps(list(album.photo_ids)),
                 first.name, first.stories[album.album_id],
                 second.name if second else None,
                 second.stories[album.album_id] if second else None)
                for position, (album, first, second) in enumerate(items)
            ],
        )  # fmt: skip
    return study_id


def load_study(store: HumanStore, name: str) -> Study:
    """A stored study by name.

    Raises:
        UserInputError: no study of that name (the message lists those there are).
    """
    with store.read() as connection:
        row = connection.execute("SELECT * FROM studies WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r["name"] for r in connection.execute("SELECT name FROM studies")]
            there = ", ".join(names) if names else "none yet"
            raise UserInputError(f"{store.path}: no study named {name!r} (studies: {there})")
        systems = connection.execute(
            "SELECT name, description, is_human FROM systems WHERE study_id = ? ORDER BY rowid",
            (row["study_id"],),
        ).fetchall()
    return Study(
        study_id=row["study_id"],
        name=row["name"],
        kind=StudyKind(row["kind"]),
        aspects=tuple(store.stored_json(row["aspects"], "the study's aspects")),
        judgements_per_item=row["judgements_per_item"],
        data_label=row["data_label"],
        images_dir=row["images_dir"],
        systems={s["name"]: s["description"] for s in systems},
        human_systems=frozenset(s["name"] for s in systems if s["is_human"]),
    )


def _rater_order(rater: str, item_id: int) -> str:
    """A rater-specific order of items, so raters starting together spread over the study."""
    return hashlib.sha256(f"{rater}\0{item_id}".encode()).hexdigest()


def _open_items(
    connection: sqlite3.Connection, study: Study, rater: str, now: float
) -> list[sqlite3.Row]:
    """Items the rater has not had that still need judgements, fewest judgements first
    (Turing: only albums the rater has not seen). An item's judgements are taken by the raters
    who finished it or hold it now (an expired hold does not count)."""
    fresh_since = now - STALE_ASSIGNMENT_S
    rows = connection.execute(
        "SELECT items.*, (SELECT COUNT(*) FROM assignments a WHERE a.item_id = items.item_id "
        "  AND (a.completed_at IS NOT NULL OR a.assigned_at > ?)) AS taken "
        "FROM items WHERE study_id = ? AND item_id NOT IN "
        "  (SELECT item_id FROM assignments WHERE rater = ?)",
        (fresh_since, study.study_id, rater),
    ).fetchall()
    seen_albums: set[str] = set()
    if study.kind == TURING:  # seeing a second story of the same photos would give the game away
        seen_albums = {
            r["album_id"]
            for r in connection.execute(
                "SELECT album_id FROM items JOIN assignments USING (item_id) "
                "WHERE study_id = ? AND rater = ?",
                (study.study_id, rater),
            )
        }
    rows = [
        row
        for row in rows
        if row["taken"] < study.judgements_per_item and row["album_id"] not in seen_albums
    ]
    return sorted(rows, key=lambda row: (row["taken"], _rater_order(rater, row["item_id"])))


def _assignment(
    store: HumanStore, connection: sqlite3.Connection, study: Study, row: sqlite3.Row
) -> Assignment:
    answered = {
        r["aspect"]
        for r in connection.execute(
            "SELECT aspect FROM judgements WHERE item_id = ? AND rater = ?",
            (row["item_id"], row["rater"]),
        )
    }
    left = row["left_system"]
    stories = (row["story_a"],)
    if study.kind == PAIRWISE:
        a_first = left == row["system_a"]
        stories = (row["story_a"], row["story_b"]) if a_first else (row["story_b"], row["story_a"])
    return Assignment(
        item_id=row["item_id"],
        album_id=row["album_id"],
        photo_ids=tuple(store.stored_json(row["photo_ids"], "an item's photo ids")),
        stories=stories,
        left_system=left,
        aspects_left=tuple(aspect for aspect in study.aspects if aspect not in answered),
    )


_ASSIGNED = (
    "SELECT items.*, assignments.rater, assignments.left_system, assignments.assigned_at, "
    "assignments.completed_at FROM assignments "
    "JOIN items USING (item_id) WHERE items.study_id = ? AND assignments.rater = ? "
)
HOLD_LOST = N_(
    "You held this item over {minutes} minutes and other raters have judged it since, so your "
    "answers to it are not counted; here is your next item."
)


def _hold_lost(connection: sqlite3.Connection, study: Study, row: sqlite3.Row, now: float) -> bool:
    """Whether the rater's assignment ``row`` lost its item's place: unfinished, older than
    :data:`STALE_ASSIGNMENT_S` (so the place was offered to other raters), and every place now
    taken by raters who finished the item or hold it."""
    if row["completed_at"] is not None or row["assigned_at"] > now - STALE_ASSIGNMENT_S:
        return False
    others = connection.execute(
        "SELECT COUNT(*) FROM assignments WHERE item_id = ? AND rater != ? "
        "AND (completed_at IS NOT NULL OR assigned_at > ?)",
        (row["item_id"], row["rater"], now - STALE_ASSIGNMENT_S),
    ).fetchone()[0]
    return others >= study.judgements_per_item


def _keep_hold(connection: sqlite3.Connection, study: Study, row: sqlite3.Row, now: float) -> bool:
    """Whether the rater's assignment ``row`` still holds its item (True for a finished one).

    An expired hold whose place is still free holds again, renewed from ``now``. A lost one
    (:func:`_hold_lost`) has the rater's answers to the item deleted, so an item never gets
    more judgements than the study asks; the assignment stays, so the item (and, in a Turing
    test, the album) is never offered to that rater again.
    """
    if _hold_lost(connection, study, row, now):
        connection.execute(
            "DELETE FROM judgements WHERE item_id = ? AND rater = ?",
            (row["item_id"], row["rater"]),
        )
        return False
    if row["completed_at"] is None and row["assigned_at"] <= now - STALE_ASSIGNMENT_S:
        connection.execute(
            "UPDATE assignments SET assigned_at = ? WHERE item_id = ? AND rater = ?",
            (now, row["item_id"], row["rater"]),
        )
    return True


def next_assignment(
    store: HumanStore,
    study: Study,
    rater: str,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.time,
) -> Assignment | None:
    """The rater's unfinished item, else a new one (left/right drawn now), else None (done).

    Runs in one write transaction, so two sessions of the same rater get the same item and two
    raters never push an item past its judgements per item. An unfinished item whose hold
    expired and was filled by others is passed over (see :func:`_keep_hold`).

    Args:
        store: the study database.
        study: the study.
        rater: the rater's name.
        rng: draws left/right (default: the system's random source).
        clock: the time in seconds (tests pass their own).
    """
    rater = clean_rater_name(rater)
    rng = rng or random.SystemRandom()
    now = clock()
    with store.transaction() as connection:
        unfinished = connection.execute(
            _ASSIGNED + "AND assignments.completed_at IS NULL ORDER BY assigned_at",
            (study.study_id, rater),
        ).fetchall()
        row = next((row for row in unfinished if _keep_hold(connection, study, row, now)), None)
        if row is None:
            candidates = _open_items(connection, study, rater, now)
            if not candidates:
                return None
            item = candidates[0]
            left = None
            if study.kind == PAIRWISE:
                left = rng.choice([item["system_a"], item["system_b"]])
            connection.execute(
                "INSERT INTO assignments (item_id, rater, left_system, assigned_at) "
                "VALUES (?, ?, ?, ?)",
                (item["item_id"], rater, left, now),
            )
            row = connection.execute(
                _ASSIGNED + "AND assignments.item_id = ?", (study.study_id, rater, item["item_id"])
            ).fetchone()
        return _assignment(store, connection, study, row)


def record_judgement(
    store: HumanStore,
    study: Study,
    rater: str,
    item_id: int,
    aspect: str,
    answer: str,
    clock: Callable[[], float] = time.time,
) -> bool:
    """Store one answer; the item is finished for the rater when every aspect is answered.

    Args:
        store: the study database.
        study: the study.
        rater: the rater's name.
        item_id: the item answered.
        aspect: the aspect answered.
        answer: the answer (``left``/``tie``/``right``, or ``human``/``machine``).
        clock: the time in seconds (tests pass their own).

    Returns:
        True when stored, False when this rater had already answered this aspect of this item
        (a repeated click: nothing is counted twice).

    Raises:
        UserInputError: an unknown aspect or answer, an item not assigned to this rater, or one
            whose hold expired and was filled by other raters (:data:`HOLD_LOST`; the rater's
            answers to it are deleted).
    """
    rater = clean_rater_name(rater)
    answers = PAIRWISE_ANSWERS if study.kind == PAIRWISE else TURING_ANSWERS
    if answer not in answers:
        raise UserInputError(f"answer {answer!r}: choose {', '.join(answers)}")
    if aspect not in study.aspects:
        raise UserInputError(f"aspect {aspect!r} is not asked in study {study.name!r}")
    now = clock()
    with store.transaction() as connection:
        row = connection.execute(
            _ASSIGNED + "AND assignments.item_id = ?", (study.study_id, rater, item_id)
        ).fetchone()
        if row is None:
            raise UserInputError(
                f"item {item_id} is not assigned to rater {rater!r} in study {study.name!r}"
            )
        lost = not _keep_hold(connection, study, row, now)
        inserted = False if lost else _store_answer(connection, study, row, aspect, answer, now)
    if lost:  # raised once the deletion is committed
        raise UserInputError(HOLD_LOST, minutes=STALE_ASSIGNMENT_S // 60)
    return inserted


def _store_answer(
    connection: sqlite3.Connection,
    study: Study,
    row: sqlite3.Row,
    aspect: str,
    answer: str,
    now: float,
) -> bool:
    """Insert one answer of the rater of assignment ``row`` and finish the assignment when
    every aspect is answered; False when the aspect was answered already."""
    item_id, rater = row["item_id"], row["rater"]
    choice = answer
    if study.kind == PAIRWISE and answer != TIE:
        other = row["system_b"] if row["left_system"] == row["system_a"] else row["system_a"]
        choice = row["left_system"] if answer == "left" else other
    inserted = connection.execute(
        "INSERT OR IGNORE INTO judgements (item_id, rater, aspect, answer, choice, "
        "left_system, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item_id, rater, aspect, answer, choice, row["left_system"], now),
    ).rowcount
    answered = connection.execute(
        "SELECT COUNT(*) FROM judgements WHERE item_id = ? AND rater = ?", (item_id, rater)
    ).fetchone()[0]
    if answered >= len(study.aspects):
        connection.execute(
            "UPDATE assignments SET completed_at = ? WHERE item_id = ? AND rater = ? "
            "AND completed_at IS NULL",
            (now, item_id, rater),
        )
    return inserted == 1


def rater_progress(
    store: HumanStore, study: Study, rater: str, clock: Callable[[], float] = time.time
) -> Progress:
    """Items the rater finished, and the most they can do (finished + in hand + still open; an
    item whose hold the rater lost is not counted)."""
    rater = clean_rater_name(rater)
    now = clock()
    with store.read() as connection:
        rows = connection.execute(
            "SELECT item_id, rater, assigned_at, completed_at FROM assignments "
            "JOIN items USING (item_id) WHERE study_id = ? AND rater = ?",
            (study.study_id, rater),
        ).fetchall()
        mine = [row for row in rows if not _hold_lost(connection, study, row, now)]
        still_open = _open_items(connection, study, rater, now)
    if study.kind == TURING:  # one item per album
        still_open = {row["album_id"] for row in still_open}
    done = sum(row["completed_at"] is not None for row in mine)
    return Progress(done=done, total=len(mine) + len(still_open))
