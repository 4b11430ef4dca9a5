"""The concept space and the ``concepts`` encoder: photos and sentences meet in GloVe space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imgstory import pretrained

INPUTS = Path(__file__).resolve().parent / "data" / "efficientnet_inputs"


def _nearest_classes(space, vector: np.ndarray, k: int = 3) -> list[str]:
    return [space.names[i] for i in np.argsort(-(space.class_vectors @ vector))[:k]]


def test_sentences_land_near_the_classes_they_name(space) -> None:
    sentences = [
        "the race car sped around the track .",
        "we saw the koala at the zoo .",
        "we ate a delicious pizza .",
        "we had a great time .",  # no content word
    ]
    vectors = space.sentence_vectors(sentences)
    assert vectors.shape == (4, 50) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert "race car" in _nearest_classes(space, vectors[0])
    assert "koala" in _nearest_classes(space, vectors[1])
    assert "pizza" in _nearest_classes(space, vectors[2])
    assert not vectors[3].any()
    assert space.content_words("[male] and [female] went to the zoo .") == ["zoo"]


def test_photo_vectors_mix_the_top_classes(space) -> None:
    probabilities = np.full((2, 1000), 1e-6)
    koala = space.names.index("koala")
    probabilities[0, koala] = 0.9
    probabilities[1, [koala, space.names.index("race car")]] = 0.45
    vectors = space.photo_vectors(probabilities)
    np.testing.assert_allclose(vectors[0], space.class_vectors[koala], atol=1e-4)
    assert 0.3 < float(vectors[1] @ space.class_vectors[koala]) < 0.99
    (top,) = space.top_classes(probabilities[:1], k=2)
    assert top[0] == ("koala", pytest.approx(0.9))


def test_the_fingerprint_names_weights_and_settings() -> None:
    from imgstory.features.concepts import ConceptConfig, concept_fingerprint

    if pretrained.installed_path(pretrained.pretrained_file("efficientnet-lite0")) is None:
        pytest.skip("efficientnet-lite0 not installed (`make setup` installs it)")
    first = concept_fingerprint(ConceptConfig())
    assert first == concept_fingerprint(ConceptConfig()) and first.startswith("sha256:")
    assert first != concept_fingerprint(ConceptConfig(photo_top_k=3))
    with pytest.raises(ValueError, match="classifier"):
        ConceptConfig(classifier="resnet")


def test_the_concepts_encoder_turns_photos_into_unit_vectors(space) -> None:
    from PIL import Image

    from imgstory.features.encoders import encoder_spec, get_encoder

    if pretrained.installed_path(pretrained.pretrained_file("efficientnet-lite0")) is None:
        pytest.skip("efficientnet-lite0 not installed (`make setup` installs it)")
    encoder = get_encoder("concepts")
    images = [Image.open(path).convert("RGB") for path in sorted(INPUTS.glob("*.png"))]
    vectors = encoder.encode(images)
    assert vectors.shape == (3, 50) and encoder.image_size == 224
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.fingerprint == encoder_spec("concepts").fingerprint(None)
    described = encoder.describe(images[:1], k=3)
    assert len(described[0]) == 3 and all(name in space.names for name, _ in described[0])


@pytest.mark.real_data
def test_real_photos_get_their_own_album_story_near_the_top(vist_dir, space) -> None:
    """The photos of the race album match their human story's sentences better than others'."""
    import json

    from PIL import Image

    from imgstory.features.encoders import get_encoder

    albums = json.loads((vist_dir / "photos" / "sequences.json").read_text())
    encoder = get_encoder("concepts")
    ranks = []
    stories = [(i, s["sentences"]) for i, a in enumerate(albums) for s in a["stories"]]
    candidates = np.stack([space.sentence_meanings([x.lower() for x in s]) for _, s in stories])
    for index, album in enumerate(albums):
        photos = album["stories"][0]["photo_flickr_ids"]
        images = [Image.open(vist_dir / "photos" / f"{p}.jpg").convert("RGB") for p in photos]
        similarity = np.einsum("pd,spd->s", encoder.encode(images), candidates)
        order = [stories[i][0] for i in np.argsort(-similarity)]
        ranks.append(order.index(index) + 1)
    assert np.median(ranks) <= 5  # of ~40 candidate stories; chance ~20
