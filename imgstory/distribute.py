"""Where TensorFlow runs: one ``tf.distribute`` strategy helper for feature extraction and training.

TensorFlow is imported only when a strategy is made.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from imgstory.errors import UserInputError

if TYPE_CHECKING:
    import tensorflow as tf

#: The strategy names a user can give (``--strategy``, ``TrainingConfig.strategy``).
STRATEGIES = ("default", "mirrored")


def distribution_strategy(
    strategy: str | tf.distribute.Strategy | None = None,
) -> tf.distribute.Strategy:
    """``None``/``"default"`` -> one device; ``"mirrored"`` -> all local devices (several workers
    when ``TF_CONFIG`` is set); a ``tf.distribute.Strategy`` passes through unchanged.

    Raises:
        UserInputError: an unknown strategy name.
    """
    import tensorflow as tf

    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        if os.environ.get("TF_CONFIG"):
            return tf.distribute.MultiWorkerMirroredStrategy()
        return tf.distribute.MirroredStrategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    raise UserInputError(f"unknown strategy {strategy!r}: choose one of {', '.join(STRATEGIES)}")
