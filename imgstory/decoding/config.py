"""How a story is decoded: method, beam width, sampling and repetition controls, with help text.

The help strings are written once here; the CLI uses them for ``--help`` and the app for ``help=``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from imgstory.errors import UserInputError

METHODS = ("greedy", "beam", "sample")

DECODING_HELP = {
    "method": (
        "how words are chosen: 'beam' keeps the best few partial sentences (best scores), "
        "'greedy' takes the likeliest word each step (fastest), 'sample' draws words at random "
        "(varied stories; set temperature/top-k/seed)"
    ),
    "beam_size": "beam width: 2-3 usually best; wider is slower and rarely better",
    "length_penalty": (
        "beam only: 0 ranks sentences by total log-probability (favours short ones); "
        "0.6-1.0 favours longer sentences"
    ),
    "temperature": (
        "sampling only: below 1 keeps to likely words, above 1 takes more risks "
        "(0.7 is a good start)"
    ),
    "top_k": "sampling only: draw from the k likeliest words (0 = all words)",
    "seed": "sampling only: the same seed gives the same story",
    "no_repeat_ngram_size": (
        "never repeat a word sequence of this length within the story (3 is common; 0 = off)"
    ),
    "block_repeated_sentences": (
        "never write a sentence already in the story (the VIST paper's trick): a different "
        "candidate sentence is taken instead"
    ),
}


@dataclass(frozen=True)
class DecodingConfig:
    """Decoding options; frozen so one compiled search can be cached per config."""

    method: str = "beam"
    beam_size: int = 3
    length_penalty: float = 0.0
    temperature: float = 1.0
    top_k: int = 0
    seed: int = 0
    no_repeat_ngram_size: int = 0
    block_repeated_sentences: bool = True

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise UserInputError(
                f"unknown decoding method {self.method!r}: choose one of {', '.join(METHODS)}"
            )
        if not 1 <= self.beam_size <= 16:
            raise UserInputError(f"beam size must be 1-16, got {self.beam_size}")
        if self.temperature <= 0:
            raise UserInputError(f"temperature must be positive, got {self.temperature}")
        if self.top_k < 0:
            raise UserInputError(f"top-k must be 0 (all words) or positive, got {self.top_k}")
        if self.no_repeat_ngram_size < 0 or self.no_repeat_ngram_size == 1:
            raise UserInputError(
                "no-repeat n-gram size must be 0 (off) or at least 2, "
                f"got {self.no_repeat_ngram_size}"
            )

    @property
    def candidates(self) -> int:
        """Hypotheses decoded side by side per sentence.

        Beam search keeps ``beam_size``. Greedy and sampling decode one, or three when repeated
        sentences are blocked, so a different sentence is at hand (greedy: the 2nd/3rd likeliest
        first word; sampling: further draws).
        """
        if self.method == "beam":
            return self.beam_size
        return 3 if self.block_repeated_sentences else 1

    def compiled_key(self) -> tuple:
        """The options fixed when the search is compiled (the others are passed as tensors)."""
        return (
            self.method,
            self.candidates,
            self.top_k,
            self.no_repeat_ngram_size,
            self.block_repeated_sentences,
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> DecodingConfig:
        """Rebuild from :meth:`to_json`'s dict; unknown fields are refused."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(document) - known)
        if unknown:
            raise UserInputError(f"unknown decoding option(s): {', '.join(unknown)}")
        return cls(**document)
