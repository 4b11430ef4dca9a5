"""Load a model directory once, then write stories from features or photos (the app and the CLI).

TensorFlow is imported when a model is loaded, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from imgstory.decoding.config import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.text.articles import article_bans
from imgstory.text.tokens import SENTENCE_ENDS, display_sentence
from imgstory.text.vocabulary import UNK_ID

if TYPE_CHECKING:
    from imgstory.model.directory import ModelDirectory

MAX_PHOTOS = 10


def check_photo_count(count: int) -> None:
    """Refuse a story of other than 1 to ``MAX_PHOTOS`` photos (cheap: call it before loading).

    Raises:
        UserInputError: says how many photos were given and how many a story takes.
    """
    if not 1 <= count <= MAX_PHOTOS:
        raise UserInputError(
            f"{count} photos given: give 1 to {MAX_PHOTOS} photos "
            "(5 is the length the model was trained on)"
        )


@dataclass(frozen=True)
class GeneratedStory:
    """One sentence per photo, in VIST's normalised form (what the scorers read)."""

    sentences: tuple[str, ...]

    @property
    def story(self) -> str:
        """The sentences joined with spaces (the AREL prediction form)."""
        return " ".join(self.sentences)

    @property
    def display_sentences(self) -> tuple[str, ...]:
        """The sentences for people: capitalised, detokenised, placeholders readable."""
        return tuple(display_sentence(sentence) for sentence in self.sentences)

    def to_json(self) -> dict[str, Any]:
        """``{"sentences": [...], "story": "..."}`` (what ``imgstory generate --json`` prints)."""
        return {"sentences": list(self.sentences), "story": self.story}


def content_word_ids(vocabulary) -> list[int]:
    """Ids of the vocabulary's content words: alphabetic, 3+ letters, not an English stop word
    (what a sentence should not say twice)."""
    from imgstory.features.concepts import english_stop_words

    stop = english_stop_words()
    return [
        index
        for index, token in enumerate(vocabulary.tokens)
        if token.isalpha() and len(token) >= 3 and token not in stop
    ]


def word_ids(vocabulary) -> list[int]:
    """Ids of the vocabulary's words (alphabetic tokens: no punctuation, no ``'s``/``n't``):
    what the presence penalty counts."""
    return [index for index, token in enumerate(vocabulary.tokens) if token.isalpha()]


class Storyteller:
    """A loaded storyteller: build once (``Storyteller.load``), generate many times.

    Compiled searches are cached per decoding method / beam width, so the first story with a
    new method takes a few seconds longer than the next ones.
    """

    def __init__(self, directory: ModelDirectory, encoder_weights: str | Path | None = None):
        from imgstory.model.architecture import StoryModelParts

        self.directory = directory
        self.parts = StoryModelParts(directory.model, directory.model_config)
        self._encoder_weights = encoder_weights
        self._encoder = None
        self._searches: dict[tuple, Any] = {}

    @classmethod
    def load(cls, model_dir: str | Path, encoder_weights: str | Path | None = None) -> Storyteller:
        """Load and check a model directory (see :func:`load_model_directory`).

        Args:
            model_dir: a directory written by ``imgstory train``.
            encoder_weights: weights of the model's photo encoder, where it has any (Xception);
                only needed by :meth:`generate_from_images`.
        """
        from imgstory.model.directory import load_model_directory

        return cls(load_model_directory(model_dir), encoder_weights)

    @property
    def path(self) -> Path:
        """The model directory."""
        return self.directory.path

    @property
    def encoder_name(self) -> str:
        """Name of the photo encoder the model expects (``xception``, ``handcrafted``)."""
        return self.directory.encoder_name

    def applied(self, decoding: DecodingConfig) -> DecodingConfig:
        """``decoding`` as this model applies it (:meth:`DecodingConfig.for_model`): what a
        story records as its decoding."""
        copies = self.directory.model_config.copy_terms
        return decoding.for_model(self.encoder_name, copies)

    @property
    def card(self) -> dict[str, Any]:
        """The model card: data, encoder, vocabulary, training facts."""
        return self.directory.card

    @property
    def vocabulary(self):
        """The model's :class:`~imgstory.text.vocabulary.Vocabulary`."""
        return self.directory.vocabulary

    @property
    def feature_dim(self) -> int:
        """Length of the photo feature vectors the model reads."""
        return self.directory.model_config.feature_dim

    def search(self, decoding: DecodingConfig):
        """The compiled :class:`~imgstory.decoding.search.StorySearch` for ``decoding`` (cached)."""
        key = decoding.compiled_key()
        if key not in self._searches:
            from imgstory.decoding.search import StorySearch

            vocabulary = self.vocabulary
            ends = [vocabulary.id_of(token) for token in SENTENCE_ENDS]
            # the word rules come with n-gram blocking: --no-repeat-ngram 0 turns them all off
            word_rules = (
                {
                    "once_per_sentence": content_word_ids(vocabulary),
                    "repeat_words": word_ids(vocabulary),
                    "article_bans": article_bans(vocabulary.tokens),
                }
                if decoding.no_repeat_ngram_size
                else {}
            )
            self._searches[key] = StorySearch(
                self.parts,
                decoding,
                self.feature_dim,
                sentence_ends=[index for index in ends if index != UNK_ID],
                **word_rules,
            )
        return self._searches[key]

    def generate_batch(
        self, features: np.ndarray, decoding: DecodingConfig | None = None
    ) -> list[GeneratedStory]:
        """Stories for ``(batch, n_photos, feature_dim)`` features, one per row."""
        decoding = decoding or DecodingConfig()
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 3 or features.shape[2] != self.feature_dim:
            raise UserInputError(
                f"features of shape {features.shape} do not fit this model: it reads "
                f"(stories, photos, {self.feature_dim}) from the {self.encoder_name!r} encoder"
            )
        check_photo_count(features.shape[1])
        if features.shape[0] == 0:
            return []
        decoding = self.applied(decoding)
        if decoding.album_share:
            from imgstory.features.terms import album_terms

            slots = self.directory.model_config.term_slots
            features = np.stack(
                [album_terms(story, decoding.album_share, slots) for story in features]
            )
        tokens = self.search(decoding)(features, decoding)  # (batch, photos, width)
        decode = self.vocabulary.decode
        return [GeneratedStory(tuple(decode(row) for row in story)) for story in tokens]

    def generate_from_features(
        self, features: np.ndarray, decoding: DecodingConfig | None = None
    ) -> GeneratedStory:
        """A story for ``(n_photos, feature_dim)`` features (one sentence per photo)."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2:
            raise UserInputError(
                f"expected features of shape (photos, {self.feature_dim}), got {features.shape}"
            )
        return self.generate_batch(features[None], decoding)[0]

    def encoder(self):
        """The model's photo encoder, built once and checked against the model card."""
        if self._encoder is None:
            from imgstory.features.encoders import get_encoder

            encoder = get_encoder(self.encoder_name, self._encoder_weights)
            expected = self.directory.encoder_fingerprint
            if expected and encoder.fingerprint != expected:
                raise UserInputError(
                    f"the {self.encoder_name!r} encoder here has weights {encoder.fingerprint} but "
                    f"model {self.path} was trained on features from weights {expected}: use the "
                    "same encoder weights as for training"
                )
            self._encoder = encoder
        return self._encoder

    def generate_from_images(
        self, images: Sequence[Any], decoding: DecodingConfig | None = None
    ) -> GeneratedStory:
        """A story for photos (PIL images or paths), featured with the model's encoder."""
        from PIL import Image

        from imgstory.images import load_image

        check_photo_count(len(images))
        loaded = [
            image if isinstance(image, Image.Image) else load_image(image) for image in images
        ]
        features = self.encoder().encode(loaded)  # (photos, feature_dim)
        return self.generate_from_features(features, decoding)
