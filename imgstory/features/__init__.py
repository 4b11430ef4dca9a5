"""Photo features: encoders (Xception, an offline hand-crafted one), a feature store, extraction.

Import the submodules directly (``imgstory.features.encoders``, ``.store``, ``.extract``); this
package imports nothing heavy, and TensorFlow only loads when an Xception encoder is built.
"""
