"""Build the VIST storytellers: the thesis Seq2Seq (LSTM) and its GRU baseline, from text alone.

Each photo slot is given the concept vector of its sentence (:mod:`imgstory.features.concepts`),
plus Gaussian noise while training; at run time the ``concepts`` encoder gives the same kind of
vector for a photo. Word vectors start from the packaged GloVe 6B 50-d.
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
from imgstory.model.config import ModelConfig, TrainingConfig
from imgstory.vist_models.text_stories import TextStories

#: The shipped models' sizes: the thesis architecture at hidden 256 (fits 2 cores and 40 MB).
VIST_MODEL = ModelConfig(
    hidden_size=256,
    photo_layers=1,
    decoder_layers=2,
    embedding_dim=50,
    dropout=0.2,
    max_sentence_length=20,
    vocab_min_count=5,
    feature_noise=0.5,
)
VIST_TRAINING = TrainingConfig(
    epochs=11,
    batch_size=32,
    learning_rate=4e-3,
    validation_fraction=0.05,
    patience=2,
    backup_every_epochs=0,  # a full build takes minutes: no resumable backup to write each epoch
    unigram_bias=True,
)
MODEL_NAMES = {"lstm": "vist-lstm", "gru": "vist-gru"}
#: What stands in for a photo while training: a sentence's ``meaning`` (the unit mean GloVe
#: vector of its content words) or its ``mixture`` (the ImageNet classes nearest that meaning,
#: mixed as a photo's top classes are: :meth:`ConceptSpace.sentence_vectors`).
BridgeInputs = Literal["meaning", "mixture"]
BRIDGE_INPUTS: dict[BridgeInputs, str] = {
    "meaning": "meaning vector (the unit mean GloVe vector of its content words)",
    "mixture": "class mixture (the ImageNet class names nearest its meaning, mixed as a "
    "photo's top classes are)",
}
#: The shipped models learn from class mixtures: the only kind of vector a photo can give (a
#: meaning vector holds words no classifier names). docs/model.md has both measured.
VIST_INPUTS: BridgeInputs = "mixture"


@dataclass(frozen=True)
class BuiltModel:
    """One trained model directory and its training report (as JSON)."""

    cell: str
    path: Path
    report: dict


def sentence_features(
    space: ConceptSpace, noise: float, text: TextStories, inputs: BridgeInputs = VIST_INPUTS
):
    """The text-only stand-in for photo features: each story's 5 sentence concept vectors
    (``inputs``: a key of :data:`BRIDGE_INPUTS`)."""
    from imgstory.model.training import SentenceFeatures

    encode = {"meaning": space.sentence_meanings, "mixture": space.sentence_vectors}[inputs]

    def vectors(stories: Sequence[Story]) -> np.ndarray:
        texts = [sentence for story in stories for sentence in story.texts]
        return encode(texts).reshape(len(stories), STORY_LENGTH, -1)

    return SentenceFeatures(
        encoder="concepts",
        fingerprint=concept_fingerprint(space.config),
        dimension=space.dimension,
        vectors=vectors,
        card={
            "training": "text only: no photo was seen; each photo slot held its sentence's "
            f"{BRIDGE_INPUTS[inputs]} plus noise",
            "inputs": inputs,
            "concepts": vars(space.config),
            "feature_noise": noise,
            "text": text.card(),
        },
    )


def build_vist_models(
    text: TextStories,
    out_dir: str | Path,
    cells: Sequence[str] = ("lstm", "gru"),
    model_config: ModelConfig = VIST_MODEL,
    training_config: TrainingConfig = VIST_TRAINING,
    *,
    work_dir: str | Path | None = None,
    progress: bool = True,
    overwrite: bool = False,
    parallel: bool | None = None,
    inputs: BridgeInputs = VIST_INPUTS,
) -> list[BuiltModel]:
    """Train one storyteller per cell on ``text`` and write ``out_dir/vist-<cell>/``.

    With ``parallel`` (default: when there are at least as many cores as cells) each cell trains
    in a process of its own with ``cores // cells`` TensorFlow threads: at these sizes one thread
    per model does more than two threads on one (benchmarks/bench_training.py: 62 stories/s per
    process for two 1-thread processes at once, 44 for one 2-thread process on 2 busy cores).
    Progress bars are drawn only when training in this process. An existing model directory is
    replaced only with ``overwrite``. ``inputs`` picks the photo stand-in (:data:`BRIDGE_INPUTS`).
    """
    jobs = [
        _TrainingJob(
            cell=cell,
            text=text,
            out_dir=Path(out_dir),
            model_config=replace(model_config, cell=cell),
            training_config=training_config,
            work_dir=Path(work_dir) / MODEL_NAMES[cell] if work_dir else None,
            progress=progress,
            overwrite=overwrite,
            inputs=inputs,
        )
        for cell in cells
    ]
    cores = os.cpu_count() or 1
    if parallel is None:
        parallel = len(jobs) > 1 and cores >= len(jobs)
    if not parallel:
        return [job.run() for job in jobs]
    threads = max(1, cores // len(jobs))
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per process
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=context) as pool:
        running = [pool.submit(replace(job, progress=False, threads=threads).run) for job in jobs]
        return [future.result() for future in running]


@dataclass(frozen=True)
class _TrainingJob:
    """One cell's training, runnable here or in a spawned process (everything in it pickles)."""

    cell: str
    text: TextStories
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

        space = ConceptSpace.packaged(ConceptConfig())
        features = sentence_features(space, self.model_config.feature_noise, self.text, self.inputs)
        name = MODEL_NAMES[self.cell]
        report = train_model(
            features,
            self.text.stories,
            self.out_dir / name,
            self.model_config,
            self.training_config,
            glove_path="glove-6b-50d",
            progress=self.progress,
            work_dir=self.work_dir,
            stories_source=f"{self.text.source} (sha256 {self.text.sha256[:16]})",
            overwrite=self.overwrite,
            restart=True,  # a build is one run: an interrupted one starts over
        )
        return BuiltModel(self.cell, self.out_dir / name, report.to_json())
