"""The one exception type the CLI and the app turn into a clear one-line message."""

from __future__ import annotations


class UserInputError(ValueError):
    """Bad input from the user (a file, a field, a photo): the message says what and what to do.

    The CLI prints it on one line and exits with code 2; the app shows it with ``st.error``.
    """
