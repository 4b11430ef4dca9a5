"""Text and prediction sequences on real VIST test stories (skips without ../shared/vist)."""

from __future__ import annotations

import json

import pytest

from imgstory.data.sis import load_sis
from imgstory.generation.predict import sequences_to_tell
from imgstory.text.tokens import display_sentence, normalize_sentence
from imgstory.text.vocabulary import Vocabulary


@pytest.mark.real_data
def test_real_sentences_round_trip_through_the_vocabulary(vist_dir):
    stories = load_sis(vist_dir / "sis" / "test.story-in-sequence.json").stories
    texts = [text for story in stories for text in story.texts]
    assert len(texts) == 25_025
    assert sum(normalize_sentence(text) != text for text in texts) < 50  # already normalised
    vocabulary = Vocabulary.build(texts, min_count=1)
    assert "[male]" in vocabulary and "[female]" in vocabulary
    longest = max(len(text.split()) for text in texts)
    encoded = vocabulary.encode_batch(texts, max_length=longest)
    assert [vocabulary.decode(row) for row in encoded] == texts
    frequent = Vocabulary.build(texts, min_count=5)
    assert len(frequent) < len(vocabulary) and frequent.coverage(texts) > 0.95
    shown = [display_sentence(text) for text in texts[:200]]
    assert all(s[:1].isupper() or not s[:1].isalpha() for s in shown)
    assert not any(" ." in s or " 's" in s or "[male]" in s for s in shown)


@pytest.mark.real_data
def test_prediction_sequences_match_the_two_protocols(vist_dir):
    stories = load_sis(vist_dir / "sis" / "test.story-in-sequence.json").stories
    albums = sequences_to_tell(stories, "arel")
    assert len(albums) == len({story.album_id for story in stories}) == 1001
    sequences = sequences_to_tell(stories, "challenge")
    assert len(sequences) == len({(s.album_id, s.photo_ids) for s in stories})
    published = json.loads(
        (vist_dir / "published" / "arel-irl-init-iter100" / "challenge.json").read_text()
    )
    theirs = {tuple(entry["photo_sequence"]) for entry in published["output_stories"]}
    ours = {photos for _, photos in sequences}
    assert len(ours - theirs) == 0  # every sequence we tell is one the challenge scores
