"""Scoring VIST stories exactly as published papers do, fast, with confidence intervals.

Protocols: ``arel`` (AREL / coco-caption, album level) and ``challenge`` (VIST challenge avg. max
METEOR); ``story`` scores one story for the app; ``bootstrap`` gives intervals and paired tests;
``published`` reads the cited baselines registry. Shared parts: the scorers ``bleu``, ``rouge``,
``cider``, ``meteor`` (warm METEOR 1.5 jars) and ``ngrams``; ``corpus`` (per-album statistics);
``predictions`` (input files); ``options`` (help text); ``floors`` (the systems without a
model that comparisons are read against). Nothing here imports TensorFlow.
"""
