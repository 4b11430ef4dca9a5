"""VIST training text: stories of 5 sentences from a SIS file or an AREL-format reference file.

SIS files give one sentence per photo; AREL references give whole stories, kept where they split
into exactly 5 sentences at " ." / " !" / " ?"; a story-text file gives each story's 5 sentences
without ids. Test-split text is refused: by name and split here, and by content with
:func:`imgstory.vist_models.text_guard.check_no_test_text`.
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


def _story_text(path: Path, document: dict) -> list[Story]:
    """Stories from a story-text file: ``{"split": ..., "stories": [[5 sentences], ...]}``
    (text without ids; each story gets an album id of its own, ``<split>-text-<n>``)."""
    split = document.get("split", "train")
    if not isinstance(split, str) or split == "test":
        raise UserInputError(f"{path}: split {split!r}: test-split text is for evaluation only")
    stories = []
    for number, sentences in enumerate(document["stories"]):
        if not (
            isinstance(sentences, list)
            and len(sentences) == STORY_LENGTH
            and all(isinstance(text, str) and text.strip() for text in sentences)
        ):
            raise UserInputError(
                f"{path}: stories[{number}] is not a list of {STORY_LENGTH} non-empty sentences"
            )
        texts = tuple(" ".join(text.split()) for text in sentences)
        name = f"{split}-text-{number}"
        photos = tuple(f"{name}-{i}" for i in range(STORY_LENGTH))
        stories.append(Story(name, name, split, photos, texts, texts))
    return stories


def load_text_stories(path: str | Path) -> TextStories:
    """Stories of exactly 5 sentences from a VIST SIS file, an AREL-format reference file or a
    story-text file (``{"split": "train", "stories": [[5 sentences], ...]}``).

    Raises:
        UserInputError: unreadable file, no usable story, or test-split text.
    """
    path = Path(path)
    if "test" in path.name.lower():
        raise UserInputError(
            f"{path}: test-split text is for evaluation only; train on val (or train) stories"
        )
    document = read_json(path, "a VIST SIS file, an AREL reference file or a story-text file")
    if isinstance(document, dict) and isinstance(document.get("stories"), list):
        stories, offered = _story_text(path, document), len(document["stories"])
    elif isinstance(document, dict) and "annotations" in document:
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
