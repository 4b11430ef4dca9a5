"""Where the app's data comes from: the shipped demo pack or a real VIST folder.

A source is laid out as the official archives: ``sis/{split}.story-in-sequence.json``,
``images/{split}/<photo_id>.jpg`` (a flat ``photos/`` folder also works), optionally
``reference/{split}_reference.json`` (AREL format), ``features/`` (a feature store) and
``results/`` (``summary.json`` + ``predictions/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgstory.app.i18n import N_, _
from imgstory.data.sis import SIS_SUFFIX
from imgstory.errors import UserInputError
from imgstory.paths import DEMO_DIR, REPO_ROOT, vist_dir

SPLIT_ORDER = ("train", "val", "test")
DEMO = N_("Demo pack")
VIST_FOLDER = N_("VIST folder")
SOURCE_KINDS = (DEMO, VIST_FOLDER)
DEMO_LABEL = N_("demo pack (generated scenes in VIST format, not real VIST)")
SOURCE_HELP = N_(
    "Demo pack: the generated VIST-format scenes and models shipped in assets/demo (not real "
    "VIST). VIST folder: a folder laid out as the official archives, sis/ with "
    "{split}.story-in-sequence.json and images/{split}/ with the photos (IMGSTORY_VIST_DIR sets "
    "the default)."
)


@dataclass(frozen=True)
class DataSource:
    """One place to read stories, photos, references, features and results from."""

    kind: str
    root: Path
    sis_files: dict[str, Path] = field(default_factory=dict)
    reference_files: dict[str, Path] = field(default_factory=dict)
    images_dir: Path | None = None
    features_dir: Path | None = None
    results_dir: Path | None = None

    @property
    def is_demo(self) -> bool:
        """True for the generated demo pack (numbers from it are not real-VIST numbers)."""
        return self.kind == DEMO

    @property
    def label(self) -> str:
        """How every caption names this data (the folder's name, never an absolute path)."""
        if self.is_demo:
            return _(DEMO_LABEL)
        return _("VIST folder '{name}'").format(name=self.root.name)

    @property
    def splits(self) -> list[str]:
        """Splits that have a SIS file, train/val/test first."""
        return sorted(self.sis_files, key=_split_rank)

    @property
    def default_split(self) -> str | None:
        """The split pages show first: test when present."""
        return "test" if "test" in self.sis_files else next(iter(self.splits), None)

    def photo_credit(self, photo_id: str) -> str:
        """The caption crediting a photo: its Flickr id for real VIST, the scene id for the demo."""
        if self.is_demo:
            return _("generated scene {photo}").format(photo=photo_id)
        return _("Flickr photo {photo}").format(photo=photo_id)


def display_path(path: str | Path) -> str:
    """A path as captions show it: relative to the app's folder when inside it, else its last
    two parts (captions never print a machine's absolute paths)."""
    path = Path(path).expanduser()
    resolved = path.resolve()
    if resolved.is_relative_to(REPO_ROOT.resolve()):
        return str(resolved.relative_to(REPO_ROOT.resolve())) or "."
    return str(Path(*resolved.parts[-2:])) if len(resolved.parts) > 2 else str(resolved)


def folder_text(path: str | Path) -> str:
    """A folder as a text field shows it: relative to the app's folder when inside it, else in
    full (the user's own folder, which the field must be able to read back)."""
    resolved = Path(path).expanduser().resolve()
    if resolved.is_relative_to(REPO_ROOT.resolve()):
        return str(resolved.relative_to(REPO_ROOT.resolve()))
    return str(path)


def typed_folder(text: str) -> Path:
    """A folder typed into the app: ``~`` expanded, a relative path read from the app's folder."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def _split_rank(split: str) -> tuple[int, str]:
    return (SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER), split)


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def scan_source(root: str | Path, kind: str) -> DataSource:
    """Read a folder's layout into a :class:`DataSource` (files are not opened here).

    Raises:
        UserInputError: the folder is missing or has no ``sis/*.story-in-sequence.json``.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserInputError(
            N_("{root}: folder not found; point to a VIST folder holding sis/ and images/"),
            root=root,
        )
    sis_dir = root / "sis"
    sis_files = {
        path.name[: -len(SIS_SUFFIX)]: path
        for path in sorted(sis_dir.glob(f"*{SIS_SUFFIX}"))
        if path.is_file()
    }
    if not sis_files:
        raise UserInputError(
            N_(
                "{root}: no sis/{{split}}{suffix} file; a VIST folder is laid out as the "
                "official archives (sis/, images/{{split}}/)"
            ),
            root=root,
            suffix=SIS_SUFFIX,
        )
    references = {
        path.name[: -len("_reference.json")]: path
        for path in sorted((root / "reference").glob("*_reference.json"))
    }
    images = _existing(root / "images") or _existing(root / "photos")
    return DataSource(
        kind=kind,
        root=root,
        sis_files=sis_files,
        reference_files=references,
        images_dir=images,
        features_dir=_existing(root / "features"),
        results_dir=_existing(root / "results"),
    )


def demo_source(demo_dir: Path = DEMO_DIR) -> DataSource:
    """The shipped demo pack (raises UserInputError when it has not been built)."""
    try:
        return scan_source(demo_dir, DEMO)
    except UserInputError:
        raise UserInputError(
            N_("the demo pack is not built at {folder}: run `imgstory demo build`"),
            folder=demo_dir,
        ) from None


def default_folder() -> str:
    """The VIST folder offered first: ``IMGSTORY_VIST_DIR`` or empty."""
    folder = vist_dir()
    return str(folder) if folder else ""


def choose_source(kind: str, folder: str = "") -> DataSource:
    """The source the user picked in the sidebar.

    Raises:
        UserInputError: the demo pack is missing, or the folder is not a VIST folder.
    """
    if kind == DEMO:
        return demo_source()
    if kind != VIST_FOLDER:
        raise UserInputError(
            N_("unknown data source {kind}: use {kinds}"),
            kind=repr(kind),
            kinds=" or ".join(SOURCE_KINDS),
        )
    if not folder.strip():
        raise UserInputError(
            N_("no VIST folder given: type its path in the sidebar or set IMGSTORY_VIST_DIR")
        )
    return scan_source(folder.strip(), VIST_FOLDER)
