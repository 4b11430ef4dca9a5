"""IMG_Story: visual storytelling on VIST — data, features, Seq2Seq model, evaluation, app."""

__version__ = "0.1.0"
