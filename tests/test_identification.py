"""Album identification: stories about their photos rank their own album's references first."""

from __future__ import annotations

import pytest

from imgstory.eval.identification import identify_albums

REFERENCES = {
    "cars": ["the race cars drove fast on the track .", "fast cars raced around the track ."],
    "zoo": ["the koala slept in the tree at the zoo .", "we saw a koala and a bear at the zoo ."],
    "snow": ["snow covered the city streets .", "the snowplow cleared the snow in the city ."],
}


def test_topical_stories_are_identified_and_generic_ones_are_not() -> None:
    topical = {"cars": "the cars raced on the track .", "zoo": "a koala at the zoo .",
               "snow": "the snow in the city ."}  # fmt: skip
    found = identify_albums(REFERENCES, topical)
    assert found.ranks == (1, 1, 1) and found.top1 == 1.0 and found.top3 == 1.0
    low, high = found.interval(1)
    assert 0.4 < low < 1.0 and high == pytest.approx(1.0)  # Wilson, 3 of 3
    swapped = {"cars": topical["zoo"], "zoo": topical["snow"], "snow": topical["cars"]}
    assert identify_albums(REFERENCES, swapped).top1 == 0.0
    generic = dict.fromkeys(REFERENCES, "it was fun .")
    assert identify_albums(REFERENCES, generic).ranks == (3, 3, 3)  # ties count against


def test_only_albums_with_a_story_are_ranked() -> None:
    found = identify_albums(REFERENCES, {"cars": "the cars raced .", "zoo": "a koala ."})
    assert found.album_ids == ("cars", "zoo")
    assert found.to_json()["albums"] == 2
