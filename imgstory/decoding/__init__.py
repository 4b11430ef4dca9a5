"""One decoding module for every storyteller: greedy, beam search, sampling; a story per call.

``DecodingConfig`` (and its help text) is TensorFlow-free; the compiled search lives in
:mod:`imgstory.decoding.search`.
"""

from imgstory.decoding.config import DECODING_HELP, METHODS, DecodingConfig

__all__ = ["DECODING_HELP", "METHODS", "DecodingConfig"]
