"""``python -m imgstory`` runs the CLI."""

from imgstory.cli import entry_point

if __name__ == "__main__":  # not when a spawned worker process imports this module
    entry_point()
