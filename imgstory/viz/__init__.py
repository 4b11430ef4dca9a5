"""Figures for the app: the architecture diagram, feature maps and metric charts (Plotly)."""
