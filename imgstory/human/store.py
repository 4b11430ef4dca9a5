"""The human-evaluation database: one SQLite file (standard library), WAL mode, a schema version.

Every write runs in a ``BEGIN IMMEDIATE`` transaction on its own short-lived connection, so raters
in many browser sessions (Streamlit threads) never lose or double a judgement; the UNIQUE
constraints make a repeated click a no-op. A file that is not SQLite, is another program's
database, or was written by a newer IMG_Story is refused before anything is written to it.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from imgstory.errors import UserInputError
from imgstory.i18n import N_
from imgstory.paths import data_dir

#: Bumped whenever the tables change; stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"
DB_SUFFIX = ".sqlite"
#: Seconds a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_S = 30.0

SCHEMA = """
CREATE TABLE studies (
    study_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('pairwise', 'turing')),
    aspects TEXT NOT NULL,
    judgements_per_item INTEGER NOT NULL CHECK (judgements_per_item >= 1),
    data_label TEXT NOT NULL,
    images_dir TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE systems (
    study_id INTEGER NOT NULL REFERENCES studies (study_id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    is_human INTEGER NOT NULL,
    PRIMARY KEY (study_id, name)
);
CREATE TABLE items (
    item_id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES studies (study_id),
    position INTEGER NOT NULL,
    album_id TEXT NOT NULL,
    photo_ids TEXT NOT NULL,
    system_a TEXT NOT NULL,
    story_a TEXT NOT NULL,
    system_b TEXT,
    story_b TEXT,
    UNIQUE (study_id, position)
);
CREATE TABLE assignments (
    item_id INTEGER NOT NULL REFERENCES items (item_id),
    rater TEXT NOT NULL,
    left_system TEXT,
    assigned_at REAL NOT NULL,
    completed_at REAL,
    PRIMARY KEY (item_id, rater)
);
CREATE TABLE judgements (
    judgement_id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items (item_id),
    rater TEXT NOT NULL,
    aspect TEXT NOT NULL,
    answer TEXT NOT NULL,
    choice TEXT NOT NULL,
    left_system TEXT,
    answered_at REAL NOT NULL,
    UNIQUE (item_id, rater, aspect)
);
CREATE INDEX judgements_by_rater ON judgements (rater);
"""
OUR_TABLES = {"studies", "systems", "items", "assignments", "judgements"}


#: A project name: letters, digits, '-' and '_' (it names a file), 1-64 characters.
PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: The most project databases the data folder may hold (the page creates one per new project).
MAX_PROJECTS = 100


def project_db_path(project: str) -> Path:
    """The database file of a project under the data folder (``IMGSTORY_DATA_DIR``).

    Raises:
        UserInputError: the project name is not 1-64 letters, digits, '-' or '_'.
    """
    name = project.strip()
    if not PROJECT_NAME.fullmatch(name):
        raise UserInputError(
            N_(
                "project name {project}: use 1 to 64 letters, digits, '-' or '_', starting "
                "with a letter or digit (it names the database file)"
            ),
            project=repr(project[:80] + ("…" if len(project) > 80 else "")),
        )
    return data_dir() / "human" / f"{name}{DB_SUFFIX}"


def check_new_project(path: Path) -> None:
    """Refuse a new project database once the data folder holds :data:`MAX_PROJECTS`.

    Raises:
        UserInputError: the folder is full (names how many there are).
    """
    folder = path.parent
    count = len(list(folder.glob(f"*{DB_SUFFIX}"))) if folder.is_dir() else 0
    if not path.exists() and count >= MAX_PROJECTS:
        raise UserInputError(
            N_(
                "the data folder already holds {count} projects, the most allowed; open an "
                "existing project instead"
            ),
            count=count,
        )


def check_database_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database, before SQLite may write to it.

    Raises:
        UserInputError: the path is a folder, an empty file or not SQLite.
    """
    if path.is_dir():
        raise UserInputError(f"{path} is a folder; give the database file (<project>{DB_SUFFIX})")
    with open(path, "rb") as stream:
        header = stream.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        what = "an empty file" if not header else "not an SQLite database"
        raise UserInputError(
            f"{path}: {what}, so not an IMG_Story human-evaluation database; nothing was changed. "
            "Choose another file (a new name creates a new database)"
        )


class HumanStore:
    """The database of one project: studies, their items, assignments and judgements.

    Open with :meth:`open`; every method opens its own connection, so one store may be shared
    by all of a server's threads.
    """

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> HumanStore:
        """Open (``create``: or create) a database and check it is one IMG_Story can use.

        Raises:
            UserInputError: missing (without ``create``), not SQLite, another program's
                database, or a newer schema than this IMG_Story reads. The file is unchanged.
        """
        path = Path(path).expanduser()
        if not path.exists():
            if not create:
                raise UserInputError(
                    f"{path}: no such database; create a study on the Human evaluation page "
                    "(or pass the path of an existing .sqlite file)"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise UserInputError(
                    f"{path}: cannot create the database folder {path.parent} ({error.strerror}); "
                    "set IMGSTORY_DATA_DIR to a folder you can write"
                ) from None
        else:
            check_database_file(path)
        store = cls(path)
        store._check_schema(create)
        return store

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as error:
            raise UserInputError(f"{self.path}: cannot open the database ({error})") from None
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    @contextlib.contextmanager
    def _database_errors(self) -> Iterator[None]:
        """SQLite's errors (a damaged page, an older schema, a writer holding the lock past
        ``BUSY_TIMEOUT_S``) as one-line :class:`UserInputError` naming the file."""
        try:
            yield
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise UserInputError(
                    N_("{path}: the database stayed busy for {seconds} s; try again"),
                    path=self.path,
                    seconds=BUSY_TIMEOUT_S,
                ) from None
            raise self.damaged(error) from None
        except sqlite3.DatabaseError as error:
            raise self.damaged(error) from None

    def damaged(self, problem: object) -> UserInputError:
        """The error for a database this IMG_Story cannot use as it is (``problem`` says why)."""
        return UserInputError(
            N_(
                "{path}: damaged, or not the layout this IMG_Story reads ({problem}); nothing "
                "was changed"
            ),
            path=self.path,
            problem=str(problem),
        )

    def stored_json(self, text: str, what: str) -> object:
        """A JSON value stored in the database (a study's aspects, an item's photo ids).

        Raises:
            UserInputError: the stored text is not JSON (a damaged or edited database).
        """
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError):
            raise self.damaged(f"{what} is not valid JSON") from None

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading (WAL: readers never wait for writers)."""
        connection = self._connect()
        try:
            with self._database_errors():
                yield connection
        finally:
            connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back
        on any exception; concurrent writers wait their turn (up to ``BUSY_TIMEOUT_S``)."""
        connection = self._connect()
        try:
            with self._database_errors():
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
        finally:
            connection.close()

    def _check_schema(self, create: bool) -> None:
        """Create the tables in a new file (``create``); refuse a foreign, newer or (without
        ``create``) empty database untouched: opening to read never writes."""
        connection = self._connect()
        try:
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                tables = {
                    row[0]
                    for row in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                    )
                }
            except sqlite3.DatabaseError as error:
                raise UserInputError(
                    f"{self.path}: not a readable SQLite database ({error}); nothing was changed"
                ) from None
            if version > SCHEMA_VERSION:
                raise UserInputError(
                    f"{self.path}: written by a newer IMG_Story (database schema {version}; this "
                    f"version reads schema {SCHEMA_VERSION} and older). Upgrade IMG_Story to open "
                    "it; nothing was changed"
                )
            if version == 0 and tables:
                raise UserInputError(
                    f"{self.path}: an SQLite database of another program (tables: "
                    f"{', '.join(sorted(tables))}), not an IMG_Story human-evaluation database; "
                    "nothing was changed. Choose another file"
                )
            if version == SCHEMA_VERSION and not OUR_TABLES.issubset(tables):
                raise UserInputError(
                    f"{self.path}: schema {version} but tables are missing "
                    f"({', '.join(sorted(OUR_TABLES - tables))}); the file is damaged"
                )
            if version == 0 and not create:
                raise UserInputError(
                    N_("{path}: an empty database, no study in it yet; nothing was changed"),
                    path=self.path,
                )
            if not create:
                return
            connection.execute("PRAGMA journal_mode = WAL")
            if version == 0:
                connection.execute("BEGIN IMMEDIATE")
                if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                    for statement in SCHEMA.split(";"):  # one transaction: all or nothing
                        if statement.strip():
                            connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                connection.execute("COMMIT")  # another process may have created it meanwhile
        finally:
            connection.close()

    def study_names(self) -> list[str]:
        """Every study's name, oldest first."""
        with self.read() as connection:
            rows = connection.execute("SELECT name FROM studies ORDER BY study_id")
            return [row["name"] for row in rows]
