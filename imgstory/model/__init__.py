"""The Seq2Seq storyteller: configs, Keras architecture, training, model directories, generation.

Import submodules directly; only :mod:`imgstory.model.config` is free of TensorFlow.
"""
