"""The word vocabulary of a model: token <-> id, built from training stories, saved as JSON.

Ids 0-3 are ``<pad> <start> <end> <unk>``; VIST's placeholders (``[male]`` ...) are ordinary tokens.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.text.tokens import tokenize

PAD, START, END, UNK = "<pad>", "<start>", "<end>", "<unk>"
SPECIAL_TOKENS = (PAD, START, END, UNK)
PAD_ID, START_ID, END_ID, UNK_ID = range(4)
_FORMAT = "imgstory-vocabulary/1"


@dataclass
class Vocabulary:
    """An ordered token list; a token's id is its position.

    Attributes:
        tokens: all tokens, :data:`SPECIAL_TOKENS` first, then by falling training count.
        counts: training count of each word (not of the special tokens).
    """

    tokens: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary must start with {SPECIAL_TOKENS}")
        self._ids = {token: index for index, token in enumerate(self.tokens)}
        if len(self._ids) != len(self.tokens):
            raise ValueError("a vocabulary cannot hold a token twice")

    @classmethod
    def build(
        cls,
        sentences: Iterable[str],
        min_count: int = 1,
        max_size: int | None = None,
        keep: Iterable[str] = (),
    ) -> Vocabulary:
        """Build from sentences: words seen at least ``min_count`` times, most frequent first.

        Args:
            sentences: normalised sentences (VIST ``text``).
            min_count: rarer words become ``<unk>``.
            max_size: keep at most this many tokens in all (special tokens included).
            keep: words kept whatever their count (after the counted ones, in this order): the
                terms a model reads and may copy (:mod:`imgstory.features.terms`).
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counter = Counter(token for sentence in sentences for token in tokenize(sentence))
        for special in SPECIAL_TOKENS:
            counter.pop(special, None)
        words = sorted(
            (word for word, count in counter.items() if count >= min_count),
            key=lambda word: (-counter[word], word),
        )
        if max_size is not None:
            words = words[: max(0, max_size - len(SPECIAL_TOKENS))]
        chosen = set(words)
        words += [w for w in dict.fromkeys(keep) if w not in chosen and w not in SPECIAL_TOKENS]
        return cls([*SPECIAL_TOKENS, *words], {word: counter[word] for word in words})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def id_of(self, token: str) -> int:
        """The id of ``token``, or :data:`UNK_ID` for an unknown word."""
        return self._ids.get(token, UNK_ID)

    @property
    def fingerprint(self) -> str:
        """A short hash of the token list: two vocabularies with one fingerprint are the same."""
        digest = hashlib.sha256("\n".join(self.tokens).encode("utf-8")).hexdigest()
        return digest[:16]

    def encode(self, sentence: str, max_length: int) -> list[int]:
        """Ids of a sentence's tokens followed by ``<end>``: at most ``max_length`` words kept."""
        words = tokenize(sentence)[:max_length]
        return [self.id_of(word) for word in words] + [END_ID]

    def encode_batch(self, sentences: Sequence[str], max_length: int) -> np.ndarray:
        """``(n, max_length + 1)`` int32 ids: words, ``<end>``, then ``<pad>`` to the width."""
        ids = np.full((len(sentences), max_length + 1), PAD_ID, dtype=np.int32)
        for row, sentence in enumerate(sentences):
            encoded = self.encode(sentence, max_length)
            ids[row, : len(encoded)] = encoded
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The normalised sentence for ids, stopping at ``<end>``; pad/start tokens are dropped."""
        words = []
        for index in ids:
            index = int(index)
            if index == END_ID:
                break
            if index in (PAD_ID, START_ID):
                continue
            words.append(self.tokens[index] if 0 <= index < len(self.tokens) else UNK)
        return " ".join(words)

    def coverage(self, sentences: Iterable[str]) -> float:
        """Share of the tokens in ``sentences`` that are in the vocabulary (not ``<unk>``)."""
        total = known = 0
        for sentence in sentences:
            for token in tokenize(sentence):
                total += 1
                known += token in self._ids
        return known / total if total else 1.0

    def to_json(self) -> dict:
        """The JSON document :meth:`from_json` reads."""
        return {
            "format": _FORMAT,
            "fingerprint": self.fingerprint,
            "tokens": self.tokens,
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, document: dict, source: str = "vocabulary") -> Vocabulary:
        """Rebuild from :meth:`to_json`'s document; a malformed one raises UserInputError."""
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise UserInputError(f"{source}: not an IMG_Story vocabulary (format {_FORMAT!r})")
        tokens = document.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise UserInputError(f"{source}: field 'tokens' must be a list of strings")
        try:
            vocabulary = cls(tokens, dict(document.get("counts") or {}))
        except ValueError as error:
            raise UserInputError(f"{source}: {error}") from None
        recorded = document.get("fingerprint")
        if recorded and recorded != vocabulary.fingerprint:
            raise UserInputError(
                f"{source}: the token list was edited (fingerprint {vocabulary.fingerprint}, "
                f"file says {recorded}); restore the vocabulary saved with the model"
            )
        return vocabulary

    def save(self, path: str | Path) -> Path:
        """Write the vocabulary as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`."""
        path = Path(path)
        document = read_json(path, "a vocabulary.json written by `imgstory train`")
        return cls.from_json(document, str(path))
