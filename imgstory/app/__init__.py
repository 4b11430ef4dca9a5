"""The Streamlit app's logic: data sources, cached loaders, uploads, downloads, result tables.

Pages in ``app_pages/`` stay thin and call these modules; TensorFlow loads only where a model runs.
"""
