"""Golden stories: the shipped models decode fixed features to the same word ids, every time.

The expected ids in ``tests/data/golden_stories.json`` were recorded from the story search before
it was restructured (issue 30.3); any change to decoding that moves a single token fails here.
The features are term features of fixed sentences (no photo, no randomness): a beach story, a
party story, and one photo's sentence five times over, so repeated-sentence blocking, the
presence penalty, n-gram and article bans all act. Re-record only for an intended change:

    .venv/bin/python -m tests.test_golden_stories   # rewrites tests/data/golden_stories.json
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from imgstory import pretrained
from imgstory.decoding import DecodingConfig
from imgstory.paths import SHIPPED_MODELS_DIR
from imgstory.text.vocabulary import END_ID, PAD_ID

GOLDEN_FILE = Path(__file__).parent / "data" / "golden_stories.json"

STORIES = (
    (
        "we went to the beach today .",
        "the kids played in the sand .",
        "the dog ran into the water .",
        "we ate lunch under an umbrella .",
        "the sun set over the ocean .",
    ),
    (
        "the family gathered for the birthday party .",
        "there was a big chocolate cake .",
        "the children opened their presents .",
        "everyone danced to the music .",
        "we took a picture of the whole group .",
    ),
    ("the car was parked outside the church .",) * 5,
)

#: decoding configs by name; each model decodes the ones listed in MODELS
CONFIGS = {
    "beam": DecodingConfig(method="beam"),
    "greedy": DecodingConfig(method="greedy"),  # the default's search (album_share acts before)
    "sample": DecodingConfig(method="sample", seed=7),
    "beam-no-ngram": DecodingConfig(method="beam", no_repeat_ngram_size=0, repeat_penalty=0.0),
    "greedy-no-ngram": DecodingConfig(method="greedy", no_repeat_ngram_size=0),
    "sample-top-k": DecodingConfig(
        method="sample", seed=11, temperature=1.0, top_k=5, top_p=1.0, length_penalty=0.6
    ),
    "beam-5-unblocked": DecodingConfig(
        method="beam", beam_size=5, length_penalty=1.0, block_repeated_sentences=False
    ),
}
MODELS = {
    "vist-lstm": tuple(CONFIGS),
    "vist-gru": ("beam", "greedy", "sample", "beam-no-ngram"),
    "vist-lstm-plain": ("beam", "greedy", "sample"),
}


def _features() -> np.ndarray:
    """``(stories, 5, 408)`` term features of :data:`STORIES`."""
    from imgstory.features.terms import TermSpace

    space = TermSpace.packaged()
    return np.stack([space.sentence_terms(list(story)) for story in STORIES])


def _fingerprint(features: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(features, np.float32).tobytes()).hexdigest()[:16]


def _trimmed(tokens: np.ndarray) -> list[list[list[int]]]:
    """``(batch, photos, width)`` ids -> per sentence the ids up to and with ``<end>``."""
    stories = []
    for story in tokens:
        sentences = []
        for row in story.tolist():
            end = row.index(END_ID) + 1 if END_ID in row else len(row)
            sentences.append(row[:end])
        stories.append(sentences)
    return stories


def _padded(trimmed: list[list[list[int]]], width: int) -> np.ndarray:
    """The inverse of :func:`_trimmed`: ``<pad>`` after each ``<end>``."""
    return np.array(
        [[row + [PAD_ID] * (width - len(row)) for row in story] for story in trimmed], np.int32
    )


def _decode(teller, decoding: DecodingConfig, features: np.ndarray) -> np.ndarray:
    return teller.search(decoding)(features, decoding)  # (batch, photos, width)


@pytest.fixture(scope="module")
def golden() -> dict:
    for name in ("glove-6b-50d", "imagenet-classes", "minilm-l6-v2"):
        if pretrained.installed_path(pretrained.pretrained_file(name)) is None:
            pytest.skip(f"{name} not installed (`make setup` installs it)")
    pytest.importorskip("tensorflow")
    document = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    features = _features()
    document["features_now"] = _fingerprint(features)
    document["feature_array"] = features
    return document


@pytest.mark.parametrize("model_name", tuple(MODELS))
def test_shipped_models_decode_the_recorded_stories(golden: dict, model_name: str) -> None:
    from imgstory.generation.storyteller import Storyteller

    teller = Storyteller.load(SHIPPED_MODELS_DIR / model_name)
    width = teller.parts.sentence_width
    features = golden["feature_array"]
    note = (
        ""
        if golden["features_now"] == golden["features"]
        else " (the term features changed: features/terms.py, the GloVe or MiniLM package)"
    )
    for config_name in MODELS[model_name]:
        decoding = CONFIGS[config_name]
        expected = golden["stories"][model_name][config_name]
        tokens = _decode(teller, decoding, features)
        assert tokens.shape == (len(STORIES), 5, width)
        assert _trimmed(tokens) == expected["ids"], f"{model_name} {config_name}{note}"
        np.testing.assert_array_equal(tokens, _padded(expected["ids"], width))
        told = [[teller.vocabulary.decode(row) for row in story] for story in tokens]
        assert told == expected["sentences"], f"{model_name} {config_name}{note}"


def record() -> None:
    """Decode every (model, config) of :data:`MODELS` now and rewrite :data:`GOLDEN_FILE`."""
    from imgstory.generation.storyteller import Storyteller

    features = _features()
    stories: dict[str, dict] = {}
    for model_name, config_names in MODELS.items():
        teller = Storyteller.load(SHIPPED_MODELS_DIR / model_name)
        stories[model_name] = {}
        for config_name in config_names:
            tokens = _decode(teller, CONFIGS[config_name], features)
            stories[model_name][config_name] = {
                "sentences": [[teller.vocabulary.decode(row) for row in story] for story in tokens],
                "ids": _trimmed(tokens),
            }
    document = {"features": _fingerprint(features), "stories": stories}
    text = json.dumps(document, indent=1)
    ids, number = re.compile(r"\[\s+([-\d,\s]+?)\s+\]"), re.compile(r"-?\d+")
    text = ids.sub(lambda match: "[" + ", ".join(number.findall(match[1])) + "]", text)
    GOLDEN_FILE.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN_FILE}")


if __name__ == "__main__":
    record()
