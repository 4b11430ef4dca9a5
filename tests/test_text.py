"""Tokens, display form, vocabulary and GloVe loading (pure Python, no TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imgstory.errors import UserInputError
from imgstory.text.glove import embedding_matrix, load_glove
from imgstory.text.tokens import display_sentence, normalize_sentence, tokenize
from imgstory.text.vocabulary import END_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, Vocabulary

SENTENCES = [
    "we went to the beach .",
    "[male] and [female] went to the beach !",
    "the beach was great .",
    "a rare word .",
]


def test_tokenize_keeps_vist_tokens_and_normalize_splits_typed_punctuation():
    assert tokenize("i stopped at my friend [female] 's booth .") == [
        "i", "stopped", "at", "my", "friend", "[female]", "'s", "booth", ".",
    ]  # fmt: skip
    assert tokenize("the st. [male] 's day ..") == ["the", "st.", "[male]", "'s", "day", ".."]
    assert normalize_sentence("We went. It was FUN!") == "we went . it was fun !"
    assert normalize_sentence("  Mr. Smith, at St. Louis... ") == "mr. smith , at st. louis ..."


@pytest.mark.parametrize(
    ("normalised", "shown"),
    [
        ("at my friend [female] 's booth .", "At my friend Mary's booth."),
        ("we had fun , i 'm sure it was n't bad !", "We had fun, I'm sure it wasn't bad!"),
        ("[male] went home . then he slept .", "John went home. Then he slept."),
        ("[female] [female] and [male] met .", "Mary and John met."),
        ("the [organization] met at [location] .", "The group met at the place."),
        ("we took a trip to location .", "We took a trip to the place."),  # VIST's bare forms
        ("the location was near the organization .", "The place was near the group."),
        ("i 'm not sure if i 'm gon na ride .", "I'm not sure if I'm gonna ride."),  # Penn split
        ("we got ta see the na vi .", "We gotta see the na vi."),
        ("", ""),
    ],
)  # fmt: skip
def test_display_sentence_is_readable(normalised, shown):
    assert display_sentence(normalised) == shown


def test_vocabulary_build_orders_by_count_and_applies_min_count():
    vocabulary = Vocabulary.build(SENTENCES, min_count=2)
    assert vocabulary.tokens[:4] == list(SPECIAL_TOKENS)
    assert vocabulary.tokens[4:7] == [".", "beach", "the"]  # 3 each, ties in code-point order
    assert "rare" not in vocabulary and "[male]" not in vocabulary
    assert Vocabulary.build(SENTENCES, min_count=1).id_of("[male]") > UNK_ID
    assert len(Vocabulary.build(SENTENCES, max_size=6)) == 6


def test_encode_decode_round_trip_with_unknown_words_and_truncation():
    vocabulary = Vocabulary.build(SENTENCES)
    ids = vocabulary.encode_batch(["we saw the moon today .", "the beach"], max_length=4)
    assert ids.shape == (2, 5)
    assert ids[0, -1] == END_ID  # 4 words kept, then <end>
    assert vocabulary.decode(ids[0]) == "we <unk> the <unk>"
    assert list(ids[1, 2:]) == [END_ID, PAD_ID, PAD_ID]
    assert vocabulary.decode(ids[1]) == "the beach"
    assert vocabulary.coverage(["we went to mars"]) == 0.75


def test_vocabulary_json_round_trip_and_edit_detection(tmp_path):
    vocabulary = Vocabulary.build(SENTENCES)
    path = vocabulary.save(tmp_path / "vocab.json")
    again = Vocabulary.load(path)
    assert again.tokens == vocabulary.tokens and again.fingerprint == vocabulary.fingerprint
    assert Vocabulary.build(SENTENCES[:2]).fingerprint != vocabulary.fingerprint
    document = json.loads(path.read_text())
    document["tokens"][5], document["tokens"][6] = document["tokens"][6], document["tokens"][5]
    path.write_text(json.dumps(document))
    with pytest.raises(UserInputError, match="edited"):
        Vocabulary.load(path)
    path.write_text("{not json")
    with pytest.raises(UserInputError, match="not valid JSON"):
        Vocabulary.load(path)


def test_glove_keeps_vocabulary_words_reports_coverage_and_builds_matrix(tmp_path):
    vocabulary = Vocabulary.build(SENTENCES)
    glove = tmp_path / "glove.test.3d.txt"
    glove.write_text("the 0.1 0.2 0.3\nbeach 1 2 3\nzebra 9 9 9\n. 0 0 1\n", encoding="utf-8")
    vectors, coverage = load_glove(glove, vocabulary, dimension=3)
    assert set(vectors) == {"the", "beach", "."}
    assert coverage.found == 3 and coverage.searched == len(vocabulary) - 4
    assert "we" in coverage.missing_examples
    matrix = embedding_matrix(vocabulary, vectors, 3, seed=1)
    assert matrix.shape == (len(vocabulary), 3)
    np.testing.assert_allclose(matrix[vocabulary.id_of("beach")], [1, 2, 3])
    assert not matrix[PAD_ID].any()


def test_glove_line_with_wrong_width_is_reported_with_its_number(tmp_path):
    glove = tmp_path / "glove.bad.txt"
    glove.write_text("the 0.1 0.2 0.3\nbeach 1 2\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"line 2 has 2 numbers, expected 3"):
        load_glove(glove, Vocabulary.build(SENTENCES), dimension=3)
    glove.write_text("the 0.1 x 0.3\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"line 1 \('the'\) holds something"):
        load_glove(glove, Vocabulary.build(SENTENCES), dimension=3)
    with pytest.raises(UserInputError, match="GloVe file not found"):
        load_glove(tmp_path / "absent.txt", Vocabulary.build(SENTENCES), dimension=3)
