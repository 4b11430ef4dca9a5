"""Imports warmed on background threads, and the wait before anything imports the same.

Two threads importing intertwined packages at once can be handed a partially initialised
module: nltk (warmed by Generate while the user chooses photos) imports scikit-learn, and
Feature plots opened meanwhile failed with ``ImportError: cannot import name 'BaseLibSVM' from
partially initialized module 'sklearn.svm._base'``. So every warm-up goes through
:func:`import_in_background`, and the router (before each page) and the code that needs what was
warmed call :func:`background_imports_finished` first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: Imports running on background threads (see :func:`background_imports_finished`).
_BACKGROUND_IMPORTS: list[threading.Thread] = []


def import_in_background(target: Callable[[], None]) -> threading.Thread:
    """Run ``target`` (imports) on a daemon thread that :func:`background_imports_finished`
    waits for."""
    thread = threading.Thread(target=target, name="imgstory-warm", daemon=True)
    _BACKGROUND_IMPORTS.append(thread)
    thread.start()
    return thread


def background_imports_finished() -> None:
    """Wait for the background imports still running (at once when they have finished)."""
    for thread in list(_BACKGROUND_IMPORTS):
        thread.join()
