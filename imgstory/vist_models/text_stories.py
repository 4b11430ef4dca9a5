"""VIST training text: stories of 5 sentences from a SIS file or an AREL-format reference file.

SIS files give one sentence per photo; AREL references give whole stories, kept where they split
into exactly 5 sentences at " ." / " !" / " ?". Test-split text is refused: it is for evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.errors import UserInputError
from imgstory.jsonfile import read_json
from imgstory.pretrained import file_sha256

_SENTENCE_BREAK = re.compile(r"(?<= [.!?])\s+")


@dataclass(frozen=True)
class TextStories:
    """Training stories and where they came from (for the model card)."""

    stories: list[Story]
    source: str
    sha256: str
    offered: int  # stories in the file; those that did not split into 5 sentences were left out

    def card(self) -> dict[str, object]:
        """What the model card records about the training text."""
        return {
            "file": self.source,
            "sha256": self.sha256,
            "stories_in_file": self.offered,
            "stories_used": len(self.stories),
        }


def split_sentences(story: str) -> list[str]:
    """A normalised story -> its sentences (each ending in its punctuation token)."""
    return [part.strip() for part in _SENTENCE_BREAK.split(story.strip()) if part.strip()]


def load_text_stories(path: str | Path) -> TextStories:
    """Stories of exactly 5 sentences from a VIST SIS file or an AREL-format reference file.

    Raises:
        UserInputError: unreadable file, no usable story, or test-split text.
    """
    path = Path(path)
    if "test" in path.name.lower():
        raise UserInputError(
            f"{path}: test-split text is for evaluation only; train on val (or train) stories"
        )
    document = read_json(path, "a VIST SIS file or an AREL reference file")
    if isinstance(document, dict) and "annotations" in document:
        from imgstory.data.sis import load_sis

        sis = load_sis(path)
        if any(story.split == "test" for story in sis.stories):
            raise UserInputError(f"{path}: holds test-split stories, which are for evaluation only")
        stories, offered = list(sis.stories), len(sis.stories) + len(sis.skipped)
    else:
        from imgstory.data.references import load_references

        stories, offered = [], 0
        for album_id, texts in load_references(path).items():
            for number, text in enumerate(texts):
                offered += 1
                sentences = split_sentences(text)
                if len(sentences) != STORY_LENGTH:
                    continue
                photos = tuple(f"{album_id}-{number}-{i}" for i in range(STORY_LENGTH))
                stories.append(
                    Story(f"{album_id}-{number}", album_id, "val", photos, tuple(sentences),
                          tuple(sentences))
                )  # fmt: skip
    if not stories:
        raise UserInputError(f"{path}: no story of 5 sentences to train on")
    return TextStories(stories, str(path), file_sha256(path), offered)
