"""Text for the storyteller: VIST tokens, the vocabulary, GloVe vectors, the display form.

Pure Python and NumPy: nothing here imports TensorFlow.
"""
