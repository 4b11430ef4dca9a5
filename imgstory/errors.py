"""The one exception type the CLI and the app turn into a clear one-line message."""

from __future__ import annotations


class UserInputError(ValueError):
    """Bad input from the user (a file, a field, a photo): the message says what and what to do.

    The CLI prints it on one line and exits with code 2; the app shows it with ``st.error``, in
    the app's language when the message is a template marked for translation::

        raise UserInputError(N_("{path}: not a JSON file"), path=path)

    Args:
        message: the English message, or a ``str.format`` template of it when ``fields`` given.
        fields: the values the template names (kept, so the app can fill a translated template).
    """

    def __init__(self, message: str, /, **fields: object) -> None:
        super().__init__(message.format(**fields) if fields else message)
        self.template = message
        self.fields = fields
