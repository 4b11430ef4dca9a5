"""The Thesis page's architecture, drawn true for the model its headline shows.

With real-photo results the headline model is their thesis row's model (its card names the
encoder: ``terms`` / ``concepts`` for the VIST models); else the demo pack's (handcrafted
features), else a results folder of one's own runs (generic box: Xception, as ``imgstory
features extract`` gives).
"""

from __future__ import annotations

from imgstory.app import real_photos
from imgstory.app.i18n import N_, _
from imgstory.eval.report import RealPhotoReport

#: The notes' first line, on the photo encoder of the model shown.
PHOTO_NOTES = {
    "terms": N_(
        "- **Photos:** EfficientNet-Lite0 names each photo's likeliest ImageNet classes; the "
        "model reads the words of those class names as GloVe vectors, weighted by the classes' "
        "probabilities (the photo's terms)."
    ),
    "xception": N_("- **Photos:** each photo becomes one Xception feature vector (ImageNet)."),
    "handcrafted": N_(
        "- **Photos:** each photo becomes one vector of handcrafted colour and texture features "
        "(the demo pack's drawn scenes)."
    ),
}
PHOTO_NOTES["concepts"] = PHOTO_NOTES["terms"]
GENERIC_PHOTO_NOTE = N_(
    "- **Photos:** each photo becomes one feature vector (Xception on ImageNet; the offline "
    "demo uses handcrafted colour/texture features; the VIST models read ImageNet class names)."
)
MODEL_NOTES = N_(
    "- **Sequence context:** an LSTM reads the five vectors in order.\n"
    "- **Story so far:** word vectors (GloVe 50-d) of the sentences already written, read by "
    "another LSTM.\n"
    "- **Memory and decoder:** photo *i*, the sequence context and the story so far feed a "
    "stacked LSTM that writes sentence *i* word by word (softmax over the vocabulary).\n"
    "- **Baselines:** GRU cells instead of LSTM; greedy decoding instead of beam search."
)


def shown_encoder(report: RealPhotoReport | None, demo_results: bool) -> str | None:
    """The encoder of the model the page's headline shows (None: the generic diagram).

    Args:
        report: the real-photo results, when they exist (they are the headline).
        demo_results: the page's other results are the demo pack's.
    """
    if report is not None:
        return real_photos.thesis_encoder(report) or None
    return "handcrafted" if demo_results else None


#: A line on what the model shown adds to the thesis architecture (the shipped VIST models copy).
EXTENSION_NOTES = {
    "terms": N_(
        "- **Our extension (the VIST models):** the decoder also attends to photo *i*'s terms and "
        "may copy one as the next word, so it can name what the classifier sees (*koala*, "
        "*snowplow*); the real-photo table has the thesis architecture without it as a row."
    ),
}


def architecture_notes(encoder: str | None) -> str:
    """The notes beside the diagram, the photo line saying what the model shown reads."""
    photos = PHOTO_NOTES.get(encoder or "", GENERIC_PHOTO_NOTE)
    notes = _(photos) + "\n" + _(MODEL_NOTES)
    extension = EXTENSION_NOTES.get(encoder or "")
    return notes + "\n" + _(extension) if extension else notes


def results_heading(real_photo_headline: bool, origin) -> str:
    """The heading of a results folder's table: the headline when there are no real-photo
    results, else what its numbers are (the demo pack's drawn scenes, or the folder's data).

    Args:
        real_photo_headline: real-photo results are shown above as the headline.
        origin: the results folder's :class:`~imgstory.app.results.ResultsOrigin`.
    """
    if not real_photo_headline:
        return _("Headline results")
    if origin.is_demo:
        return _("Drawn scenes: the demo pack (not real VIST)")
    return _("Results of {data}").format(data=origin.data)
