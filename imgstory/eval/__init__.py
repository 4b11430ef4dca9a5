"""Scoring VIST stories exactly as published papers do, fast, with confidence intervals.

Modules: ``arel`` (the AREL/coco-caption protocol), ``challenge`` (the VIST challenge's avg. max
METEOR), ``story`` (one story, for the app), ``bootstrap`` (intervals and paired tests),
``published`` (the published-baselines registry), and the scorers they share: ``bleu``, ``rouge``,
``cider``, ``meteor``. Nothing here imports TensorFlow.
"""
