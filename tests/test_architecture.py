"""The package's shape: one-way layering and short functions (issue 30).

Layers of ``imgstory/``, bottom to top; a module may import from a lower layer or from its own
unit (its subpackage, or any core helper from a core helper), never from a higher layer nor from
a sibling unit of its own layer:

1. core helpers: the package root (``__version__``), ``errors``, ``configs``, ``paths``,
   ``jsonfile``, ``outputs``, ``i18n``, ``images``, ``progress``, ``spreadsheet``,
   ``pretrained``, ``distribute``
2. ``text``, ``data``
3. ``features``
4. ``eval`` (scorers and prediction files: no model, no TensorFlow)
5. ``model``, ``decoding`` (neither imports the other)
6. ``generation``
7. ``human``, ``viz``
8. ``demo``, ``vist_models``
9. ``cli``
10. ``app``, ``__main__``

``eval`` sits below ``model``: it scores text against references and reads prediction files,
and ``generation.predict`` writes the challenge document whose layout ``eval.predictions``
defines, so the scorers stay free of the model.

Every import counts: module-level, function-level and ``TYPE_CHECKING`` ones alike. A new
subpackage or top-level module fails :func:`test_every_module_has_a_layer` until it is placed.

Function length: no function or method in ``imgstory/`` is over :data:`MAX_LINES` lines
(``end_lineno - lineno + 1``: the ``def`` line to the last, docstring included, decorators not),
save the entries of :data:`LONG_ALLOWED`, which are being rewritten; an entry that has become
short (or is gone) fails :func:`test_long_allowlist_is_current`, so it is removed with the rewrite.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "imgstory"

CORE = "core"
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(units)
    for units in (
        {CORE},
        {"text", "data"},
        {"features"},
        {"eval"},
        {"model", "decoding"},
        {"generation"},
        {"human", "viz"},
        {"demo", "vist_models"},
        {"cli"},
        {"app", "__main__"},
    )
)
CORE_MODULES = frozenset(
    {
        "errors",
        "configs",
        "paths",
        "jsonfile",
        "outputs",
        "i18n",
        "images",
        "progress",
        "spreadsheet",
        "pretrained",
        "distribute",
    }
)

MAX_LINES = 80
#: ``path:function`` -> why it may be long for now. Remove an entry when its function is short.
LONG_ALLOWED: dict[str, str] = {}


@dataclass(frozen=True)
class Import:
    """One import of an ``imgstory`` module: who imports, what, and where."""

    source: str
    target: str
    where: str


def module_files() -> list[Path]:
    """Every ``.py`` file of the package."""
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    """``imgstory/...`` as the repository names the file."""
    return path.relative_to(PACKAGE.parent).as_posix()


def module_name(path: Path) -> str:
    """The dotted name of a package file (``imgstory.eval`` for ``imgstory/eval/__init__.py``)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of ``imgstory``."""
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, package: bool) -> list[str]:
    """The ``imgstory`` modules an import statement loads (``from X import Y``: ``X.Y`` when
    ``Y`` is a module, else ``X``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = module.split(".")[: len(module.split(".")) - node.level + package]
            base = ".".join([*parts, *([node.module] if node.module else [])])
        names = [
            f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
            for alias in node.names
        ]
    return [name for name in names if name == "imgstory" or name.startswith("imgstory.")]


def unit_of(dotted: str) -> str:
    """The layering unit of a module: its subpackage, ``core`` for the helpers and the root."""
    parts = dotted.split(".")
    if len(parts) == 1 or parts[1] in CORE_MODULES:
        return CORE
    return parts[1]


def layer_of(unit: str) -> int | None:
    """The index of ``unit``'s layer in :data:`LAYERS`, ``None`` when it has none."""
    return next((index for index, units in enumerate(LAYERS) if unit in units), None)


def all_imports() -> list[Import]:
    """Every import of an ``imgstory`` module by a package file, at any depth."""
    found = []
    for path in module_files():
        module = module_name(path)
        package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                where = f"{relative(path)}:{node.lineno}"
                found.extend(
                    Import(module, target, where)
                    for target in imported_modules(node, module, package)
                )
    return found


def violation(imported: Import) -> str | None:
    """Why an import breaks the layering, ``None`` when it keeps it."""
    source, target = unit_of(imported.source), unit_of(imported.target)
    if source == target:
        return None
    source_layer, target_layer = layer_of(source), layer_of(target)
    assert source_layer is not None and target_layer is not None
    if target_layer < source_layer:
        return None
    kind = "a higher layer" if target_layer > source_layer else "a sibling of its layer"
    return f"{imported.where}: {imported.source} imports {imported.target} ({kind})"


def long_functions() -> dict[str, int]:
    """``path:function`` -> lines for every function or method over :data:`MAX_LINES` lines."""
    found = {}
    for path in module_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    found[f"{relative(path)}:{node.name}"] = lines
    return found


def function_lengths(key: str) -> list[int]:
    """The lengths of every function named in ``path:function`` (several when redefined)."""
    file, name = key.split(":")
    tree = ast.parse((PACKAGE.parent / file).read_text(encoding="utf-8"))
    return [
        node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]


def test_every_module_has_a_layer() -> None:
    units = {unit_of(module_name(path)) for path in module_files()}
    assert sorted(unit for unit in units if layer_of(unit) is None) == []


def test_layers_are_disjoint() -> None:
    assert sum(len(units) for units in LAYERS) == len(set().union(*LAYERS))


def test_no_module_imports_a_higher_layer() -> None:
    imports = all_imports()
    assert len(imports) > 100, "the parser found too few imports: is the package where it was?"
    assert [reason for imported in imports if (reason := violation(imported))] == []


@pytest.mark.parametrize(
    ("source", "target", "broken"),
    [
        ("imgstory.model.training", "imgstory.generation.storyteller", True),
        ("imgstory.model.training", "imgstory.decoding.search", True),
        ("imgstory.errors", "imgstory.text.glove", True),
        ("imgstory.cli.demo", "imgstory.app.state", True),
        ("imgstory.demo.builder", "imgstory.vist_models.build", True),
        ("imgstory.viz.metrics", "imgstory.human.stats", True),
        ("imgstory.generation.predict", "imgstory.eval.predictions", False),
        ("imgstory.features.concepts", "imgstory.pretrained", False),
        ("imgstory.eval.released", "imgstory", False),
        ("imgstory.demo.builder", "imgstory.demo.scenes", False),
    ],
)
def test_the_rule_itself(source: str, target: str, broken: bool) -> None:
    assert (violation(Import(source, target, "here")) is not None) == broken


def test_import_resolution() -> None:
    module = "imgstory.features.concepts"
    statement = ast.parse("from imgstory import pretrained, __version__").body[0]
    assert isinstance(statement, ast.ImportFrom)
    assert imported_modules(statement, module, False) == ["imgstory.pretrained", "imgstory"]
    relative_import = ast.parse("from ..text import glove").body[0]
    assert isinstance(relative_import, ast.ImportFrom)
    assert imported_modules(relative_import, module, False) == ["imgstory.text.glove"]


def test_no_function_over_the_limit() -> None:
    too_long = {key: lines for key, lines in long_functions().items() if key not in LONG_ALLOWED}
    assert too_long == {}, f"functions over {MAX_LINES} lines: split them into named helpers"


@pytest.mark.parametrize("key", sorted(LONG_ALLOWED))
def test_long_allowlist_is_current(key: str) -> None:
    lengths = function_lengths(key)
    assert lengths, f"{key} is gone: remove it from LONG_ALLOWED"
    assert max(lengths) > MAX_LINES, (
        f"{key} is {max(lengths)} lines now: remove it from LONG_ALLOWED"
    )
