"""Copying a photo's term: a tiny storyteller writes a word it never saw as an output."""

from __future__ import annotations

import numpy as np
import pytest
from train_fixtures import memorising, tiny_model

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.decoding import DecodingConfig
from imgstory.text.glove import packaged_glove

pytest.importorskip("tensorflow")
from imgstory.generation.storyteller import Storyteller
from imgstory.model.sources import SentenceFeatures
from imgstory.model.training import train_model

SEEN = ("dog", "cat", "horse", "cow", "sheep", "goat", "pig", "duck", "lion", "bear", "fish")
UNSEEN = ("zebra", "giraffe", "flamingo")
SLOTS = 2


def terms_of(words: list[str]) -> np.ndarray:
    """``(len(words), SLOTS * 51)``: each word as its photo's only term (weight 1)."""
    glove = packaged_glove()
    rows = np.zeros((len(words), SLOTS, glove.dimension + 1), np.float32)
    for row, word in enumerate(words):
        vector = glove.get(word)
        rows[row, 0, :-1] = vector / np.linalg.norm(vector)
        rows[row, 0, -1] = 1.0
    return rows.reshape(len(words), -1)


def animal_stories(count: int) -> list[Story]:
    """Stories whose every sentence names its photo's animal: 'we saw a <animal> there .'."""
    rng = np.random.default_rng(0)
    stories = []
    for number in range(count):
        animals = rng.choice(SEEN, STORY_LENGTH)
        texts = tuple(f"we saw a {animal} there ." for animal in animals)
        photos = tuple(f"{number}-{i}" for i in range(STORY_LENGTH))
        stories.append(Story(str(number), str(number), "val", photos, texts, texts))
    return stories


def animal_of(sentence: str) -> str:
    return sentence.split()[3]


@pytest.mark.parametrize("copy", [True, False])
def test_copy_writes_a_term_never_seen_as_an_output(tmp_path, copy):
    """With copying, the model names zebras, giraffes and flamingos it never wrote in training
    (they are in its vocabulary only as terms it may copy); without it, it cannot."""
    stories = animal_stories(60)
    features = SentenceFeatures(
        encoder="toy-terms",
        fingerprint="toy",
        dimension=SLOTS * 51,
        vectors=lambda chosen: terms_of(
            [animal_of(text) for story in chosen for text in story.texts]
        ).reshape(len(chosen), STORY_LENGTH, -1),
        words=SEEN + UNSEEN,
    )
    # GloVe 50-d word vectors, read as terms, tie the output scores (and may be copied)
    terms = {"embedding_dim": 50, "term_slots": SLOTS, "tied_output": True, "copy_terms": copy}
    config = tiny_model(hidden_size=32, decoder_layers=2, max_sentence_length=8, **terms)
    training = memorising(25, 20, unigram_bias=True)
    out = tmp_path / "model"
    train_model(features, stories, out, config, training, glove_path="glove-6b-50d",
                progress=False, work_dir=tmp_path / "work")  # fmt: skip
    teller = Storyteller.load(out)
    for word in UNSEEN:
        assert teller.vocabulary.counts[word] == 0  # in the vocabulary, never in a story
    photos = [*UNSEEN, "dog", "lion"]
    # the toy language is one template: trigram blocking would forbid its second sentence
    told = teller.generate_from_features(terms_of(photos), DecodingConfig(no_repeat_ngram_size=0))
    named = [animal_of(sentence) for sentence in told.sentences]
    if copy:
        assert told.sentences[0] == "we saw a zebra there ."
        assert named == photos
    else:
        assert not set(named) & set(UNSEEN)
