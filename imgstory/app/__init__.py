"""The Streamlit app's logic: data sources, cached loaders, uploads, downloads, result views.

Pages in ``app_pages/`` stay thin: they read their inputs, check them, call the package and show
the result; rendering helpers live in ``app/*_view.py``, cached loaders in :mod:`app.state`,
the model thread in :mod:`app.model_thread`, the sidebar's data source in
:mod:`app.source_picker`, the paired-test cache in :mod:`app.scoring_cache`.
The contracts every page keeps (docs/architecture.md says why):

- every model call runs on the one model thread (:func:`imgstory.app.model_thread.on_model_thread`),
  so the compiled search is traced once and sessions take turns;
- a loaded model is followed by ``gc.freeze()`` (:func:`imgstory.app.model_thread.storyteller`);
- imports warmed in the background go through :func:`imgstory.app.warmup.import_in_background`,
  and the router calls :func:`imgstory.app.warmup.background_imports_finished` before each page;
- cached loaders take the file's modification time, so an edited file is read again;
- user text is shown as text, never as Markdown (:mod:`imgstory.app.markup`), and no server path
  reaches a visitor when the app is served beyond this machine (:mod:`imgstory.app.exposure`);
- TensorFlow loads only where a model runs.
"""
