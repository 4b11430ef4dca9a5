"""Article agreement: the words a decoder may not write after "a" and "an"."""

from __future__ import annotations

from imgstory.text.articles import article_bans, plural_nouns

TOKENS = ["<pad>", ".", "a", "an", "ambulance", "car", "cars", "box", "boxes", "sunglasses",
          "glass", "bus", "hour", "house", "umbrella", "kids", "kid", "news", "new", "'s",
          "[male]", "egg", "one"]  # fmt: skip


def named(ids: list[int]) -> set[str]:
    return {TOKENS[index] for index in ids}


def test_plurals_are_words_in_s_whose_singular_is_known_or_in_sses():
    assert plural_nouns(TOKENS) == {"cars", "boxes", "sunglasses", "kids", "news"}


def test_after_a_no_vowel_word_nor_plural_and_after_an_no_consonant_word_nor_plural():
    bans = article_bans(TOKENS)
    assert set(bans) == {TOKENS.index("a"), TOKENS.index("an")}
    after_a, after_an = named(bans[TOKENS.index("a")]), named(bans[TOKENS.index("an")])
    assert {"ambulance", "egg", "one", "cars", "sunglasses", "an"} <= after_a
    assert not {"car", "box", "glass", "bus", "house", "hour", "umbrella"} & after_a
    assert {"car", "cars", "box", "bus", "glass", "kids", "new", "news"} <= after_an
    assert not {"ambulance", "egg", "hour", "house", "umbrella"} & after_an
    assert not {"<pad>", ".", "'s", "[male]"} & (after_a | after_an)  # words only


def test_a_vocabulary_without_articles_bans_nothing():
    assert article_bans(["<pad>", "car", "ambulance"]) == {}
