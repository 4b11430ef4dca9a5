"""Storytellers for real photos: trained on VIST text alone, run on concept vectors of photos."""
