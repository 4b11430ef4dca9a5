"""Build the VIST storytellers: the thesis Seq2Seq (LSTM) and its GRU baseline, from text alone.

Each photo slot is given its sentence's simulated **terms** (:mod:`imgstory.features.terms`: the
words of the ImageNet class names nearest its content words, some dropped and a distractor added);
at run time the ``terms`` encoder gives a photo's terms from EfficientNet-Lite0. Word vectors start
from the packaged GloVe 6B 50-d. The shipped LSTM and GRU also score words by their GloVe vectors
and may copy a term (our extension, ``copy_terms``); ``vist-lstm-plain`` is the thesis
architecture alone on the same inputs, the row that shows what the extension adds.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from imgstory.data.sis import STORY_LENGTH, Story
from imgstory.features.concepts import ConceptConfig, ConceptSpace, concept_fingerprint
from imgstory.features.terms import TermConfig, TermNoise, TermSpace, term_fingerprint
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.model.pipeline import split_by_album
from imgstory.vist_models.text_stories import TextStories

#: The shipped models' sizes: the thesis architecture at hidden 224 (the LSTM and GRU fit 40 MB
#: together with a ~5,800-word vocabulary), reading 8 terms per photo, with GloVe-tied output
#: scores and term copying (our extension).
VIST_MODEL = ModelConfig(
    hidden_size=224,
    photo_layers=1,
    decoder_layers=2,
    embedding_dim=50,
    dropout=0.2,
    max_sentence_length=20,
    vocab_min_count=5,
    feature_noise=0.3,
    term_slots=TermConfig().terms,
    tied_output=True,
    copy_terms=True,
)
VIST_TRAINING = TrainingConfig(
    epochs=5,
    batch_size=32,
    learning_rate=4e-3,
    validation_fraction=0.05,
    patience=1,
    backup_every_epochs=0,  # a full build takes minutes: no resumable backup to write each epoch
    unigram_bias=True,
    # No weight average: measured (docs/model.md, "Tried and rejected") and not adopted.
)
#: The seed that draws the held-out val albums (the val proxy's), whatever the training seed:
#: models trained with other seeds are then held out from, and compared on, the same albums.
HOLDOUT_SEED = 0
#: The models ``imgstory vist build`` can write: directory name -> config. The first three ship
#: (``SHIPPED``); ``vist-lstm-tied`` (GloVe-tied scores, no copying: attention-free) was measured
#: on the val proxy (docs/model.md) and is not shipped.
VARIANTS: dict[str, ModelConfig] = {
    "vist-lstm": VIST_MODEL,
    "vist-gru": replace(VIST_MODEL, cell="gru"),
    "vist-lstm-plain": replace(VIST_MODEL, tied_output=False, copy_terms=False),
    "vist-lstm-tied": replace(VIST_MODEL, copy_terms=False),
}
SHIPPED = ("vist-lstm", "vist-gru", "vist-lstm-plain")
MODEL_NAMES = {"lstm": "vist-lstm", "gru": "vist-gru"}
#: What stands in for a photo while training: a sentence's ``meaning`` (the unit mean GloVe
#: vector of its content words), its class ``mixture`` (the ImageNet classes nearest that
#: meaning, mixed as a photo's top classes are: :meth:`ConceptSpace.sentence_vectors`), or its
#: ``terms`` (the words of its content words' nearest class names: :class:`TermSpace`).
BridgeInputs = Literal["meaning", "mixture", "terms"]
BRIDGE_INPUTS: dict[BridgeInputs, str] = {
    "meaning": "meaning vector (the unit mean GloVe vector of its content words)",
    "mixture": "class mixture (the ImageNet class names nearest its meaning, mixed as a "
    "photo's top classes are)",
    "terms": "terms (the words of the ImageNet class names nearest its content words by "
    "all-MiniLM-L6-v2 vectors, some dropped and a distractor class added, as a classifier errs)",
}
#: The shipped models read terms: what a photo gives as words (docs/model.md has the others).
VIST_INPUTS: BridgeInputs = "terms"


def training_split(
    texts: Sequence[TextStories], config: TrainingConfig = VIST_TRAINING
) -> tuple[list[Story], list[Story]]:
    """``(train, held out)``: the trainer's ``validation_fraction`` of the *val* albums (all
    their stories, drawn with :data:`HOLDOUT_SEED`) is held out -- the albums the val proxy
    scores on -- and everything else, train text included, is trained on. Without val text,
    albums of all text are held out."""
    stories = [story for text in texts for story in text.stories]
    val = [story for story in stories if story.split == "val"]
    if not val:
        return split_by_album(stories, config.validation_fraction, HOLDOUT_SEED)
    kept, held = split_by_album(val, config.validation_fraction, HOLDOUT_SEED)
    return [story for story in stories if story.split != "val"] + kept, held


@dataclass(frozen=True)
class BuiltModel:
    """One trained model directory and its training report (as JSON)."""

    name: str
    cell: str
    path: Path
    report: dict


def sentence_features(
    noise: float, texts: Sequence[TextStories], inputs: BridgeInputs = VIST_INPUTS
):
    """The text-only stand-in for photo features: each story's 5 sentence vectors
    (``inputs``: a key of :data:`BRIDGE_INPUTS`)."""
    from imgstory.model.sources import SentenceFeatures

    card = {
        "training": "text only: no photo was seen; each photo slot held its sentence's "
        f"{BRIDGE_INPUTS[inputs]}",
        "inputs": inputs,
        "feature_noise": noise,
        "text": [text.card() for text in texts],
    }
    if inputs == "terms":
        terms = TermSpace.packaged()
        term_noise = TermNoise()

        def encode(texts: list[str]) -> np.ndarray:
            return terms.sentence_terms(texts, term_noise, seed=0)

        encoder, fingerprint, dimension = "terms", term_fingerprint(terms.config), terms.dimension
        card.update(
            terms=vars(terms.config), term_noise=vars(term_noise), term_bridge=vars(terms.bridge)
        )
        words = tuple(terms.words)
    else:
        space = ConceptSpace.packaged(ConceptConfig())
        encode = {"meaning": space.sentence_meanings, "mixture": space.sentence_vectors}[inputs]
        encoder, fingerprint = "concepts", concept_fingerprint(space.config)
        dimension, words = space.dimension, ()
        card["concepts"] = vars(space.config)

    def vectors(stories: Sequence[Story]) -> np.ndarray:
        sentences = [sentence for story in stories for sentence in story.texts]
        return encode(sentences).reshape(len(stories), STORY_LENGTH, -1)

    return SentenceFeatures(
        encoder=encoder,
        fingerprint=fingerprint,
        dimension=dimension,
        vectors=vectors,
        card=card,
        words=words,
    )


def build_vist_models(
    texts: Sequence[TextStories],
    out_dir: str | Path,
    names: Sequence[str] = SHIPPED,
    training_config: TrainingConfig = VIST_TRAINING,
    *,
    variants: dict[str, ModelConfig] | None = None,
    work_dir: str | Path | None = None,
    progress: bool = True,
    overwrite: bool = False,
    parallel: bool | None = None,
    inputs: BridgeInputs = VIST_INPUTS,
) -> list[BuiltModel]:
    """Train the models ``names`` (keys of ``variants``, default :data:`VARIANTS`) on ``texts``
    and write ``out_dir/<name>/``; :func:`training_split` picks the held-out albums.

    With ``parallel`` (default: :func:`side_by_side`) each model trains in a process of its own
    with ``max(1, cores // models)`` TensorFlow threads; without it, one after another with every
    thread. The thread count changes the order of floating-point sums, so the two give slightly
    different weights: the shipped models were built side by side, and that stays the default.
    It is also the faster way at full size on 2 cores: one model alone trained at 84 stories/s
    with both threads, two side by side at 112 together (docs/model.md; the 1.17x that
    benchmarks/bench_build_parallelism.py finds for one after another holds on its small slice
    only). Progress bars are drawn only when training in this process. An existing model
    directory is replaced only with ``overwrite``. ``inputs`` picks the photo stand-in
    (:data:`BRIDGE_INPUTS`).
    """
    variants = variants or VARIANTS
    jobs = [
        _TrainingJob(
            name=name,
            texts=tuple(texts),
            out_dir=Path(out_dir),
            model_config=variants[name],
            training_config=training_config,
            work_dir=Path(work_dir) / name if work_dir else None,
            progress=progress,
            overwrite=overwrite,
            inputs=inputs,
        )
        for name in names
    ]
    if parallel is None:
        parallel = side_by_side(len(jobs))
    if not parallel:
        return [job.run() for job in jobs]
    threads = max(1, (os.cpu_count() or 1) // len(jobs))
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per process
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool:
        running = [pool.submit(replace(job, progress=False, threads=threads).run) for job in jobs]
        return [future.result() for future in running]


def side_by_side(models: int) -> bool:
    """Whether ``models`` models train side by side by default: 2+ models on 2+ cores, as the
    shipped models were built (see :func:`build_vist_models`)."""
    return models > 1 and (os.cpu_count() or 1) >= 2


@dataclass(frozen=True)
class _TrainingJob:
    """One model's training, runnable here or in a spawned process (everything in it pickles)."""

    name: str
    texts: tuple[TextStories, ...]
    out_dir: Path
    model_config: ModelConfig
    training_config: TrainingConfig
    work_dir: Path | None
    progress: bool
    overwrite: bool
    inputs: BridgeInputs = VIST_INPUTS
    threads: int | None = None  # TensorFlow intra-op threads; None = TensorFlow's choice

    def run(self) -> BuiltModel:
        """Train and save the model; return where it went and its report."""
        import tensorflow as tf

        if self.threads is not None:
            tf.config.threading.set_intra_op_parallelism_threads(self.threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        from imgstory.model.training import train_model

        features = sentence_features(self.model_config.feature_noise, self.texts, self.inputs)
        train, held = training_split(self.texts, self.training_config)
        report = train_model(
            features,
            train,
            self.out_dir / self.name,
            self.model_config,
            self.training_config,
            val_stories=held,
            glove_path="glove-6b-50d",
            progress=self.progress,
            work_dir=self.work_dir,
            stories_source=" + ".join(
                f"{text.source} (sha256 {text.sha256[:16]})" for text in self.texts
            ),
            overwrite=self.overwrite,
            restart=True,  # a build is one run: an interrupted one starts over
        )
        return BuiltModel(self.name, self.model_config.cell, self.out_dir / self.name,
                          report.to_json())  # fmt: skip
