"""The test-text guard: no test story reaches training, found by content, not by file name.

A file named ``refs20.json`` can hold test albums; a copied test story can sit in a train-text
file. A training story is refused when it equals a test reference story or shares
:data:`SHARED_SENTENCES` or more of its sentences with one (single stock sentences such as
"we had a great time ." are shared by many honest stories, three are not).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imgstory.data.sis import Story
from imgstory.errors import UserInputError
from imgstory.vist_models.text_stories import split_sentences

SHARED_SENTENCES = 3


@dataclass(frozen=True)
class TestOverlap:
    """A training story found in the test references."""

    story_id: str
    album_id: str  # the test album whose reference story it matches
    shared: int  # sentences in common


def _normal(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def find_test_text(
    stories: Sequence[Story], test_references: Mapping[str, Sequence[str]]
) -> list[TestOverlap]:
    """The training ``stories`` that equal a test reference story or share
    :data:`SHARED_SENTENCES`+ sentences with one (``test_references``: AREL format)."""
    holders: dict[str, list[int]] = defaultdict(list)  # sentence -> test stories holding it
    albums: list[str] = []
    whole: dict[str, int] = {}
    for album, texts in test_references.items():
        for text in texts:
            number = len(albums)
            albums.append(album)
            whole[_normal(text)] = number
            for sentence in set(map(_normal, split_sentences(text))):
                holders[sentence].append(number)
    found = []
    for story in stories:
        counts = Counter(
            number for sentence in set(map(_normal, story.texts)) for number in holders[sentence]
        )
        number, shared = counts.most_common(1)[0] if counts else (-1, 0)
        exact = whole.get(_normal(story.story_text))
        if exact is not None:
            number, shared = exact, max(shared, len(story.texts))
        if shared >= SHARED_SENTENCES:
            found.append(TestOverlap(story.story_id, albums[number], shared))
    return found


def check_no_test_text(
    stories: Sequence[Story], test_references: Mapping[str, Sequence[str]], source: str
) -> None:
    """Refuse training text that holds test stories (see :func:`find_test_text`).

    Raises:
        UserInputError: naming ``source``, how many stories and the first few.
    """
    found = find_test_text(stories, test_references)
    if found:
        shown = ", ".join(
            f"{hit.story_id} (test album {hit.album_id}, {hit.shared} sentences)"
            for hit in found[:3]
        )
        raise UserInputError(
            f"{source}: {len(found)} training stor{'y' if len(found) == 1 else 'ies'} found in "
            f"the test references, e.g. {shown}: test text is for evaluation only"
        )
