"""Writing a command's outputs without ever losing a user's file.

Every output path is checked before any work (not one of the inputs, not a folder where a file
is wanted, a parent folder that exists and can be written); an existing file or model directory
is replaced only when the user asks (``--overwrite``); files and folders are written under a
temporary name and renamed into place, so a crash never leaves half an output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from imgstory.errors import UserInputError

OVERWRITE_HELP = "replace the output if it already exists (without it nothing is ever replaced)"


def _same_path(path: Path, other: Path) -> bool:
    """Whether two paths name the same file or folder (resolved, or the same inode)."""
    if path.resolve() == other.resolve():
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _check_not_an_input(path: Path, inputs: Iterable[str | Path | None], what: str) -> None:
    for given in inputs:
        if given is not None and _same_path(path, Path(given).expanduser()):
            raise UserInputError(
                f"{path}: the {what} would be written over {given}, one of this command's "
                "inputs; choose another output path"
            )


def _check_parent(path: Path, what: str) -> None:
    parent = path.resolve().parent
    if not parent.exists():
        raise UserInputError(
            f"{path}: cannot write the {what}: folder {parent} does not exist (create it first)"
        )
    if not parent.is_dir():
        raise UserInputError(f"{path}: cannot write the {what}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserInputError(
            f"{path}: cannot write the {what}: no permission to write in folder {parent}"
        )


def check_output_file(
    path: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    overwrite: bool = False,
    what: str = "output file",
) -> Path:
    """Check an output file path before any work is done.

    Args:
        path: the file the command will write.
        inputs: the command's input files and folders; the output may be none of them.
        overwrite: whether an existing file may be replaced (the user's ``--overwrite``).
        what: what the file is, for the messages ("predictions file").

    Returns:
        ``path`` as a :class:`Path` (user ``~`` expanded).

    Raises:
        UserInputError: the path is an input, a folder, an existing file without ``overwrite``,
            or in a folder that is missing or cannot be written.
    """
    path = Path(path).expanduser()
    _check_not_an_input(path, inputs, what)
    if path.is_dir():
        raise UserInputError(
            f"{path} is a folder; the {what} needs a file name (e.g. {path / 'out.json'})"
        )
    if path.exists() and not overwrite:
        raise UserInputError(
            f"{path} already exists; pass --overwrite to replace it, or choose another path"
        )
    _check_parent(path, what)
    return path


def check_output_dir(
    path: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    overwrite: bool = False,
    is_replaceable: Callable[[Path], bool] = lambda folder: False,
    what: str = "output folder",
) -> Path:
    """Check an output folder: new, empty, or one this command wrote (replaced on ``overwrite``).

    Args:
        path: the folder the command will write.
        inputs: the command's inputs; the folder may be none of them.
        overwrite: whether a folder this command wrote before may be replaced.
        is_replaceable: tells whether an existing, non-empty folder is one of this command's
            outputs (e.g. a model directory); any other folder with files in it is never touched.
        what: what the folder is, for the messages ("model directory").

    Raises:
        UserInputError: the path is an input or a file, holds someone else's files, or is an
            earlier output and ``overwrite`` is not given.
    """
    path = Path(path).expanduser()
    _check_not_an_input(path, inputs, what)
    if path.exists() and not path.is_dir():
        raise UserInputError(f"{path} is a file; the {what} must be a new folder")
    if path.is_dir() and any(path.iterdir()):
        if not is_replaceable(path):
            raise UserInputError(
                f"{path} already holds files that are not a {what}; choose a new folder "
                "(nothing in it was changed)"
            )
        if not overwrite:
            raise UserInputError(
                f"{path} already holds a {what}; pass --overwrite to replace it, or choose "
                "another folder"
            )
    _check_parent(path, what)
    return path


def check_writable_folder(path: str | Path, what: str) -> Path:
    """Check a folder a command creates (with its missing parents) or adds to, before any work:
    it, or else its nearest existing parent, must be a folder this user can write in.

    Returns:
        ``path`` as a :class:`Path` (user ``~`` expanded).

    Raises:
        UserInputError: the path is a file, or the folder to write in is a file or read-only.
    """
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise UserInputError(f"{path} is a file; the {what} must be a folder")
    existing = path.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserInputError(f"{path}: cannot write the {what}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserInputError(
            f"{path}: cannot write the {what}: no permission to write in folder {existing}"
        )
    return path


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """A temporary file beside ``path``, renamed onto ``path`` when the block succeeds.

    The caller writes the temporary file (any way it likes); on an exception it is deleted and
    ``path`` is left as it was.
    """
    path = Path(path)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        if path.exists():
            shutil.copymode(path, temporary)
        else:
            os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    with atomic_file(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``path`` that replaces ``path`` when the block succeeds.

    A crash leaves ``path`` as it was (plus a hidden ``.<name>.partial-*`` folder at worst).
    """
    path = Path(path)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_UMASK)
        if path.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, retired / path.name)
            os.replace(temporary, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import (os.umask can only be read by setting it, which is not thread-safe).
_UMASK = _read_umask()
