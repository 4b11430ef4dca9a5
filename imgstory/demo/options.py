"""Help text of the demo build's options, written once for the CLI (``--help``) and the docs."""

from __future__ import annotations

BUILD_HELP = {
    "out": "folder to write the pack to (the app reads assets/demo)",
    "seed": "seed of everything generated and trained: the same seed rebuilds the same pack",
    "encoder": (
        "photo encoder: 'handcrafted' (offline, no weights; the shipped pack) or 'xception' "
        "(needs ImageNet weights: set IMGSTORY_XCEPTION_WEIGHTS to a .weights.h5 file)"
    ),
    "config": (
        "'small': the shipped pack (320 albums, hidden 256; ~10-15 min on 2 cores); "
        "'tiny': 24 albums and a tiny model, for tests (about 30 s)"
    ),
}
