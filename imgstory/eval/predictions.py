"""Generated stories on disk: AREL-format prediction files and VIST challenge submissions
(reading both; writing the challenge document).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from imgstory.errors import UserInputError
from imgstory.i18n import N_
from imgstory.jsonfile import read_json

PREDICTIONS_FORMAT = N_(
    'AREL predictions: {"album_id": ["story"], ...} or {"album_id": "story", ...}'
)
#: The ``team_name`` of every challenge document IMG_Story writes.
TEAM_NAME = "IMG_Story"
CHALLENGE_FORMAT = (
    'a VIST challenge submission: {"output_stories": [{"album_id": ..., '
    '"photo_sequence": [5 photo ids], "story_text_normalized": ...}, ...]}'
)


def load_predictions(path: str | Path) -> dict[str, str]:
    """Read an AREL-format predictions file into ``album_id -> story``.

    Raises:
        UserInputError: missing, not UTF-8, not JSON, the wrong layout, or no stories.
    """
    path = Path(path)
    document = read_json(path, PREDICTIONS_FORMAT)
    if isinstance(document, dict) and "output_stories" in document:
        raise UserInputError(
            f"{path}: this is a VIST challenge submission; score it with --protocol challenge "
            "and a story-in-sequence file as --references"
        )
    return normalise_predictions(document, source=str(path))


def normalise_predictions(predictions: object, source: str = "predictions") -> dict[str, str]:
    """Validate ``album_id -> story | [story]`` and return ``album_id -> story``.

    Raises:
        UserInputError: not a mapping, an album with no story, several stories or non-text.
    """
    if not isinstance(predictions, Mapping):
        raise UserInputError(
            f"{source}: expected {PREDICTIONS_FORMAT}, found a {type(predictions).__name__}"
        )
    if not predictions:
        raise UserInputError(f"{source}: no predictions; expected {PREDICTIONS_FORMAT}")
    stories: dict[str, str] = {}
    for album_id, value in predictions.items():
        story = value
        if isinstance(value, list):
            if len(value) != 1:
                raise UserInputError(
                    f"{source}: album {album_id!r} has {len(value)} stories; the AREL protocol "
                    "scores exactly one generated story per album"
                )
            story = value[0]
        if not isinstance(story, str):
            raise UserInputError(
                f"{source}: album {album_id!r} must map to a story string or a one-story list, "
                f"found {type(story).__name__}"
            )
        stories[str(album_id)] = story
    return stories


@dataclass(frozen=True)
class ChallengeStory:
    """One story of a VIST challenge submission."""

    album_id: str
    photo_sequence: tuple[str, ...]
    story: str


def load_challenge_submission(path: str | Path, arel_hint: str = "") -> list[ChallengeStory]:
    """Read a VIST challenge submission (``output_stories``), one story per photo sequence.

    Args:
        path: the submission file.
        arel_hint: what the caller's user should do with AREL-format predictions instead (an
            option of the command that reads the file), said when the file looks like them.

    Raises:
        UserInputError: the wrong layout, a story missing a field, or a repeated photo sequence.
    """
    path = Path(path)
    document = read_json(path, CHALLENGE_FORMAT)
    entries = document.get("output_stories") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        hint = " (this looks like AREL predictions" + (f": {arel_hint})" if arel_hint else ")")
        raise UserInputError(
            f"{path}: expected {CHALLENGE_FORMAT}"
            + (hint if isinstance(document, dict) and document else "")
        )
    if not entries:
        raise UserInputError(f"{path}: output_stories is empty")
    stories: list[ChallengeStory] = []
    seen: set[tuple[str, ...]] = set()
    for position, entry in enumerate(entries):
        where = f"{path}: output_stories[{position}]"
        if not isinstance(entry, dict):
            raise UserInputError(f"{where} is a {type(entry).__name__}, expected an object")
        sequence = entry.get("photo_sequence")
        text = entry.get("story_text_normalized")
        if not isinstance(sequence, list) or not sequence:
            raise UserInputError(f"{where}: photo_sequence must be a list of photo ids")
        if not isinstance(text, str):
            raise UserInputError(f"{where}: story_text_normalized must be a string")
        key = tuple(str(photo) for photo in sequence)
        if key in seen:
            raise UserInputError(
                f"{where}: photo sequence {' '.join(key)} has more than one story; "
                "the challenge scores one story per sequence"
            )
        seen.add(key)
        stories.append(ChallengeStory(str(entry.get("album_id", "")), key, text))
    return stories


def challenge_document(stories: Iterable[ChallengeStory], description: str = "") -> dict:
    """The VIST challenge submission of ``stories`` (what :func:`load_challenge_submission` reads).

    ``{"team_name", "evaluation_info": {"additional_description"}, "output_stories": [{"album_id",
    "photo_sequence", "story_text_normalized"}]}``.
    """
    return {
        "team_name": TEAM_NAME,
        "evaluation_info": {"additional_description": description},
        "output_stories": [
            {
                "album_id": story.album_id,
                "photo_sequence": list(story.photo_sequence),
                "story_text_normalized": story.story,
            }
            for story in stories
        ],
    }
