"""The thesis architecture as Graphviz DOT source, drawn by the app with ``st.graphviz_chart``."""

from __future__ import annotations

_NODES = {
    "photos": ("5 ordered photos", "#fdebd0"),
    "encoder": (
        "Image encoder\\n(Xception, ImageNet; demo: handcrafted)\\n1 vector per photo",
        "#fad7a0",
    ),
    "photo_lstm": ("Photo-sequence {cell}\\nover the 5 feature vectors", "#f5cba7"),
    "story": ("Story so far\\n(previous sentences)", "#d6eaf8"),
    "glove": ("Word vectors\\n(GloVe 300-d)", "#aed6f1"),
    "text_lstm": ("Text {cell}\\nover the story so far", "#85c1e9"),
    "memory": ("Memory\\n(photo i + sequence context + text so far)", "#d5f5e3"),
    "decoder": ("Stacked {cell} decoder\\nsoftmax over the vocabulary", "#abebc6"),
    "sentence": ("Sentence i\\n(greedy / beam / sampling)", "#f9e79f"),
}
_EDGES = [
    ("photos", "encoder", "pixels"),
    ("encoder", "photo_lstm", "(5, d)"),
    ("story", "glove", "tokens"),
    ("glove", "text_lstm", "(words, 300)"),
    ("photo_lstm", "memory", ""),
    ("text_lstm", "memory", ""),
    ("memory", "decoder", ""),
    ("decoder", "sentence", "one per photo"),
    ("sentence", "story", "appended"),
]


def architecture_dot(cell: str = "LSTM") -> str:
    """DOT source of the Seq2Seq storyteller; ``cell`` names the recurrent cell (LSTM or GRU)."""
    lines = [
        "digraph storyteller {",
        '  rankdir=TB; bgcolor="transparent"; nodesep=0.4; ranksep=0.35;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    for name, (label, colour) in _NODES.items():
        lines.append(f'  {name} [label="{label.format(cell=cell)}", fillcolor="{colour}"];')
    for source, target, label in _EDGES:
        feedback = (source, target) == ("sentence", "story")
        style = ", style=dashed, constraint=false" if feedback else ""
        lines.append(f'  {source} -> {target} [label="{label}"{style}];')
    lines.append("}")
    return "\n".join(lines)
