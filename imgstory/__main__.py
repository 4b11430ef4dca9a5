"""``python -m imgstory`` runs the CLI."""

from imgstory.cli import entry_point

entry_point()
