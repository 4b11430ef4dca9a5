"""GloVe word vectors: stream a ``glove.*.txt`` file, keep the vocabulary's words, build embeddings.

The file format is one word per line followed by its numbers, space-separated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgstory.errors import UserInputError
from imgstory.text.vocabulary import SPECIAL_TOKENS, Vocabulary


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
        path: a ``glove.*.txt`` file (e.g. ``glove.6B.300d.txt``).
        vocabulary: only these words are kept in memory.
        dimension: the expected vector width (the model's embedding size).

    Returns:
        ``word -> (dimension,) float32`` for the words found, and the coverage.

    Raises:
        UserInputError: missing file, or a line whose width or numbers are wrong (with its number).
    """
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: GloVe file not found (give a glove.*.txt file)")
    wanted = {token for token in vocabulary.tokens if token not in SPECIAL_TOKENS}
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
