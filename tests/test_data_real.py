"""Real-data tests on ../shared/vist (skipped with a reason when it is absent)."""

from __future__ import annotations

import pytest

from imgstory.data.inspect import inspect_sis
from imgstory.data.references import load_references
from imgstory.data.sis import load_sis

pytestmark = pytest.mark.real_data


def test_official_test_file_counts(vist_dir):
    sis = load_sis(vist_dir / "sis" / "test.story-in-sequence.json")
    assert sis.split == "test"
    assert len(sis.stories) == 5005 and len(sis.album_ids()) == 1001 and not sis.skipped
    assert all(len(story.photo_ids) == 5 for story in sis.stories)
    first = sis.stories[0]
    assert first.texts[0] == "the local parish holds a craft show each year ."
    assert first.original_texts[0] == "The local parish holds a craft show each year."


def test_inspect_finds_the_photos_that_are_there(vist_dir):
    report = inspect_sis(
        vist_dir / "sis" / "test.story-in-sequence.json", vist_dir / "photos", progress=False
    )
    assert (report.stories, report.albums) == (5005, 1001)
    assert (report.usable_stories, report.usable_albums) == (40, 12)
    assert report.found_photos == 60 and report.unreadable_photos == 0
    assert report.missing_photos == report.photos - 60
    assert report.skipped_stories == 5005 - 40


def test_arel_references_match_the_sis_stories(vist_dir):
    references = load_references(vist_dir / "reference" / "test_reference.json")
    sis = load_sis(vist_dir / "sis" / "test.story-in-sequence.json")
    assert len(references) == 1010
    story = sis.stories[0]
    assert story.story_text in references[story.album_id]
