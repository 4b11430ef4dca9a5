"""The offline demo pack: a generated VIST-format dataset, and the build that trains on it.

``themes`` defines the demo world (themes, stages, keywords, sentences), ``scenes`` paints its
photos, ``stories`` writes its stories, ``generator`` writes the dataset, and ``builder`` turns
it into the shipped pack (features, models, predictions, results; the floors' stories come from
:mod:`imgstory.eval.floors`).
"""
