"""Writing stories with a trained model: the Storyteller (load once, generate many) and batch
prediction files. Sits above ``imgstory.model`` and ``imgstory.decoding``, which it joins."""
