"""Help texts of the feature options, written once for the CLI (``--help``) and the app (``help=``).

Plain strings only, so the CLI can import them without loading NumPy, Pillow or TensorFlow.
"""

from __future__ import annotations

ENCODER_HELP = (
    "photo encoder: 'xception' = the thesis features (2048-d, ImageNet weights: needs "
    "--weights or the Keras cache; 10-15 photos/s on 2 idle CPU cores), 'handcrafted' = offline "
    "colour/texture features (544-d, no weights, >100 photos/s; what the demo models use)"
)
WEIGHTS_HELP = (
    "Xception weights: a local file (*.weights.h5, or Keras' "
    "xception_weights_tf_dim_ordering_tf_kernels_notop.h5 copied from an online machine), or "
    "'imagenet' to use/download Keras' cached copy; default: $IMGSTORY_XCEPTION_WEIGHTS"
)
BATCH_SIZE_HELP = (
    "photos per forward pass: 8 or 16 reach ~75% of the CPU's matmul ceiling with Xception; "
    "larger batches only cost memory (~1.2 GB at 8, ~2.3 GB at 32); on GPUs try 64-256"
)
SHARD_HELP = (
    "i/N: process only the i-th of N parts of the photo list (0 <= i < N), e.g. one part per "
    "machine of a cluster job; give each shard its own --out and merge with `features merge`"
)
STRATEGY_HELP = (
    "'mirrored' splits each batch over all local GPUs (tf.distribute.MirroredStrategy); "
    "default: one device"
)
