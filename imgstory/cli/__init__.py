"""The ``imgstory`` command line: one Typer app; each command group lives in its own module.

Command modules import nothing heavy at module level (no TensorFlow), so light commands start fast.
"""

from __future__ import annotations

import sys

import typer

from imgstory.errors import UserInputError

app = typer.Typer(
    name="imgstory",
    help="Visual storytelling on VIST: data, features, training, generation, evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_commands() -> None:
    from imgstory.cli import (
        data,
        demo,
        evaluate,
        features,
        grounding,
        human,
        model,
        published,
        vist,
    )

    for module in (data, features, model, evaluate, demo, vist, human, published, grounding):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Usage errors are printed by Typer (exit code 2); a :class:`UserInputError` becomes one line on
    stderr and exit code 2, never a traceback.
    """
    try:
        app(args=argv, prog_name="imgstory")
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except UserInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def entry_point() -> None:
    """Console-script entry: exit with :func:`main`'s code."""
    sys.exit(main())
