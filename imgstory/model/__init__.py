"""The Seq2Seq storyteller: configs, Keras architecture and output layer, the training data
pipeline and its feature sources, training (callbacks, work dir, model card and report) and
model directories.

Generation is not here: decoding is :mod:`imgstory.decoding`, the loaded storyteller and
prediction files are :mod:`imgstory.generation`. Import submodules directly; ``architecture``,
``word_output``, ``callbacks`` and ``training`` import TensorFlow, the others load it only where
a model runs (``config``, ``rundir``, ``card`` and ``sources`` never do).
"""
