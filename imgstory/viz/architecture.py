"""The thesis architecture as Graphviz DOT source, drawn by the app with ``st.graphviz_chart``."""

from __future__ import annotations

from collections.abc import Callable

from imgstory.i18n import N_

#: The photo encoder's box for each encoder a model card names (its ``encoder.name``): the VIST
#: models read the words of a photo's likeliest ImageNet class names (cards say ``terms``, older
#: ones ``concepts``); a model trained on VIST photo features reads Xception's; the demo pack's,
#: handcrafted features. Any other name: the generic box.
CLASS_NAME_TERMS = N_(
    "Photo encoder\\nEfficientNet-Lite0 → ImageNet class-name terms\\n(GloVe vectors with weights)"
)
ENCODER_LABELS = {
    "terms": CLASS_NAME_TERMS,
    "concepts": CLASS_NAME_TERMS,
    "xception": N_("Photo encoder\\nXception (ImageNet)\\n1 vector per photo (2048-d)"),
    "handcrafted": N_(
        "Photo encoder\\nhandcrafted colour and texture features\\n(the demo pack's drawn scenes)"
    ),
}
#: The decoder's box where the model shown copies terms (the shipped VIST models: our extension).
COPYING_DECODER = N_(
    "Stacked {cell} decoder\\nsoftmax over the vocabulary\\n"
    "+ copying a photo's term (our extension)"
)
DECODER_LABELS = {"terms": COPYING_DECODER}
GENERIC_ENCODER = N_("Image encoder\\n(Xception, ImageNet; demo: handcrafted)\\n1 vector per photo")
#: Node -> (label, colour); a line break is written ``\\n`` (DOT's escape).
_NODES = {
    "photos": (N_("5 ordered photos"), "#fdebd0"),
    "encoder": (GENERIC_ENCODER, "#fad7a0"),
    "photo_lstm": (N_("Photo-sequence {cell}\\nover the 5 feature vectors"), "#f5cba7"),
    "story": (N_("Story so far\\n(previous sentences)"), "#d6eaf8"),
    "glove": (N_("Word vectors\\n(GloVe 50-d)"), "#aed6f1"),
    "text_lstm": (N_("Text {cell}\\nover the story so far"), "#85c1e9"),
    "memory": (N_("Memory\\n(photo i + sequence context + text so far)"), "#d5f5e3"),
    "decoder": (N_("Stacked {cell} decoder\\nsoftmax over the vocabulary"), "#abebc6"),
    "sentence": (N_("Sentence i\\n(greedy / beam / sampling)"), "#f9e79f"),
}
_EDGES = [
    ("photos", "encoder", N_("pixels")),
    ("encoder", "photo_lstm", "(5, d)"),
    ("story", "glove", N_("tokens")),
    ("glove", "text_lstm", N_("(words, 50)")),
    ("photo_lstm", "memory", ""),
    ("text_lstm", "memory", ""),
    ("memory", "decoder", ""),
    ("decoder", "sentence", N_("one per photo")),
    ("sentence", "story", N_("appended")),
]


def architecture_dot(
    cell: str = "LSTM", translate: Callable[[str], str] = str, encoder: str | None = None
) -> str:
    """DOT source of the Seq2Seq storyteller.

    Args:
        cell: the recurrent cell (LSTM or GRU).
        translate: looks each label up in the reader's language (the app's ``_``); the
            default leaves them English.
        encoder: the photo encoder of the model shown (a model card's encoder name, see
            :data:`ENCODER_LABELS`); None or an unknown name draws the generic box.
    """
    labels = {**_NODES}
    if encoder in ENCODER_LABELS:
        labels["encoder"] = (ENCODER_LABELS[encoder], _NODES["encoder"][1])
    if encoder in DECODER_LABELS:
        labels["decoder"] = (DECODER_LABELS[encoder], _NODES["decoder"][1])
    lines = [
        "digraph storyteller {",
        '  rankdir=TB; bgcolor="transparent"; nodesep=0.4; ranksep=0.35;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    for name, (label, colour) in labels.items():
        text = translate(label).format(cell=cell)
        lines.append(f'  {name} [label="{text}", fillcolor="{colour}"];')
    for source, target, label in _EDGES:
        feedback = (source, target) == ("sentence", "story")
        style = ", style=dashed, constraint=false" if feedback else ""
        text = translate(label) if label else ""
        lines.append(f'  {source} -> {target} [label="{text}"{style}];')
    lines.append("}")
    return "\n".join(lines)
