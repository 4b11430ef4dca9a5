"""How a story is decoded: method, beam width, sampling and repetition controls, with help text.

The help strings are written once here; the CLI uses them for ``--help`` and the app for ``help=``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from imgstory.configs import Bounds, check_fields, config_from_json
from imgstory.i18n import N_

METHODS = ("greedy", "beam", "sample")
#: The default decoding, chosen on the val proxy (benchmarks/bench_val_grounding.py --noisy,
#: 49 held-out val albums, docs/model.md) for the VIST storytellers, whose stories are the
#: product's main job: greedy decoding wrote more of the references' words than beam search in
#: every pairing measured (with these settings LSTM CIDEr 0.078 and GRU 0.077; beam search's
#: best 0.045 and 0.072), a presence penalty of 1.0 on words of earlier sentences gave the
#: LSTM's stories the highest non-redundancy (0.952), and 0.3 of each photo's terms taken from
#: its album's (:func:`imgstory.features.terms.album_terms`) helped both decodings of both
#: models. A sentence-end penalty of 1.0 (``end_penalty``) brought the stories to nearer the
#: references' length (LSTM 42.7 -> 49.8 tokens a story, references 56.0) and raised CIDEr from
#: 0.078 to 0.112 (paired bootstrap p = 0.010; GRU 0.077 -> 0.127, p = 0.002). Copying weighed at
#: 0.6 (``copy_weight``) kept CIDEr (LSTM mean of three noise draws 0.096 -> 0.099, GRU 0.116 ->
#: 0.122) and made the stories more fluent to an independent judge (the plain model's
#: log-probability per token -2.340 -> -2.213). A sentence length aimed at (``sentence_length``)
#: is an option, off by default: in place of the end penalty it raised CIDEr a little (LSTM mean
#: of three noise draws 0.099 -> 0.108, p = 0.22) but broke sentences to reach its length
#: (docs/model.md). The demo pack pins its own decoding (imgstory.demo.builder).
METHOD = "greedy"
#: The encoder whose features ``album_share`` pools (imgstory.features.terms).
TERMS_ENCODER = "terms"
REPEAT_PENALTY = 1.0
END_PENALTY = 1.0
#: Tokens (words and punctuation) a sentence aims at on average (0 = no aim, the default), and
#: how much log-probability the sentence-ending punctuation gains per token past its aim (loses
#: per token short of it). 10.2 tokens a sentence make the 51 tokens a story of 5 photos whose
#: CIDEr-D length factor is best on average against the VIST train + val stories.
SENTENCE_LENGTH = 0.0
LENGTH_SLOPE = 0.6
ALBUM_SHARE = 0.3
COPY_WEIGHT = 0.6
#: The value at which each of the later options changes nothing: what a model that cannot use
#: one applies (:meth:`DecodingConfig.for_model`), and what a story stored before the option
#: existed was told with (its label leaves the option out).
OFF = {"end_penalty": 0.0, "album_share": 0.0, "copy_weight": 1.0, "sentence_length": 0.0}

#: Marked for the app's catalog (``N_`` returns the text unchanged: the CLI shows it as is).
DECODING_HELP = {
    "method": N_(
        "how words are chosen: 'beam' keeps the best few partial sentences (best scores), "
        "'greedy' takes the likeliest word each step (fastest), 'sample' draws words at random "
        "(varied stories; set temperature/top-p/seed)"
    ),
    "beam_size": N_("beam width: 2-3 usually best; wider is slower and rarely better"),
    "length_penalty": N_(
        "beam only: a sentence that ends is scored by log-probability / ((5 + length) / 6) ** "
        "alpha (GNMT) while the search runs, so it competes with the unfinished ones on that "
        "score; 0 = total log-probability (favours short sentences), 0.6-1.0 favours longer ones"
    ),
    "temperature": N_(
        "sampling only: below 1 keeps to likely words, above 1 takes more risks; with top-p 0.9, "
        "0.7 (the defaults) writes 99-100% well-formed sentences on the demo models, 1.0 "
        "without top-p only 75-90% ('The street were dance ice.'; benchmarks/bench_sampling.py)"
    ),
    "top_k": N_("sampling only: draw from the k likeliest words (0 = all words)"),
    "top_p": N_(
        "sampling only (nucleus): draw from the fewest likeliest words that together hold this "
        "share of the probability; 0.9 (the default) cuts the tail of unlikely words that "
        "breaks sentences; 1.0 = off"
    ),
    "seed": N_(
        "sampling only: the same seed gives the same story for the same photos, alone or in a batch"
    ),
    "no_repeat_ngram_size": N_(
        "never repeat a word sequence of this length anywhere in the story, across sentences "
        "too, nor a word twice in a row (3, the default, makes a story of 'had a great time' "
        "variants impossible; 0 = off)"
    ),
    "repeat_penalty": N_(
        "with n-gram blocking on: a word already written in an earlier sentence of the story "
        "loses this much log-probability for each time it was written (a presence penalty: "
        "sentences share fewer words, 'this is a picture of' does not open every sentence); "
        "0 = off"
    ),
    "end_penalty": N_(
        "the punctuation that ends a sentence ('.', '!', '?') loses this much log-probability "
        "at every word, so a sentence ends only where the model is clearly done and stories "
        "run longer: on held-out VIST val albums 1.0 (the default) writes about 50 tokens a "
        "story, nearer the 56 of the human stories than the 43 written without it; 0 = off"
    ),
    "sentence_length": N_(
        "the length, in tokens (words and punctuation), a sentence aims at on average: each "
        "sentence aims at what is left of the story's share (this times the photos) over the "
        "photos left, and the punctuation that ends it loses 0.6 log-probability per token "
        "short of that aim and gains 0.6 per token past it. 10.2 (51 tokens for 5 photos) is "
        "the story length that CIDEr-D's length factor favours against the VIST stories: with "
        "the end penalty at 0 it raised CIDEr a little on held-out VIST val albums but cut and "
        "padded sentences to reach it ('there was a sign that was built by.'), so it is off by "
        "default; 0 = off (the default)"
    ),
    "album_share": N_(
        "models that read terms (the VIST models) only: each photo's terms take this share from "
        "the words the album's photos have in common, so a thing seen in most photos reaches "
        "every sentence and a classifier's one-off mistake weighs less; 0 = each photo alone"
    ),
    "copy_weight": N_(
        "models that copy terms (the VIST models) only: how much copying a photo's term weighs "
        "against the model's own words; below 1 fewer class-name words are forced into "
        "sentences they do not fit (0.6, the default, read more fluently on held-out VIST val "
        "albums at the same CIDEr), 1 = as trained, 0 = never copy"
    ),
    "block_repeated_sentences": N_(
        "never write a sentence already in the story (the VIST paper's trick): the search may "
        "not end a sentence that would be identical to one already written, so another "
        "candidate sentence is taken instead"
    ),
}


#: Ranges and choices of the fields (:func:`imgstory.configs.check_fields`: every field's type
#: comes from its annotation, and a float must be finite, so NaN and inf are refused).
DECODING_LIMITS: dict[str, Bounds | tuple[str, ...]] = {
    "method": METHODS,
    "beam_size": Bounds(1, 16, high_included=True),
    "temperature": Bounds(0, above=True),
    "top_k": Bounds(0),
    "top_p": Bounds(0, 1, above=True, high_included=True),
    "seed": Bounds(0, 2**63 - 1, high_included=True),
    "no_repeat_ngram_size": Bounds(2, off=0),
    "repeat_penalty": Bounds(0),
    "end_penalty": Bounds(0),
    "sentence_length": Bounds(0, 40, high_included=True),
    "album_share": Bounds(0, 1, high_included=True),
    "copy_weight": Bounds(0, 1, high_included=True),
}


@dataclass(frozen=True)
class DecodingConfig:
    """Decoding options; frozen so one compiled search can be cached per config.

    Raises:
        FieldError: a wrong value, as every config (:func:`imgstory.configs.check_fields`), e.g.
            ``"beam_size must be in [1, 16], got 20"`` (a ValueError; the CLI names its option).
    """

    method: str = METHOD
    beam_size: int = 3
    length_penalty: float = 0.0
    temperature: float = 0.7
    top_k: int = 0
    top_p: float = 0.9
    seed: int = 0
    no_repeat_ngram_size: int = 3
    repeat_penalty: float = REPEAT_PENALTY
    end_penalty: float = END_PENALTY
    sentence_length: float = SENTENCE_LENGTH
    album_share: float = ALBUM_SHARE
    copy_weight: float = COPY_WEIGHT
    block_repeated_sentences: bool = True

    def __post_init__(self) -> None:
        check_fields(self, DECODING_LIMITS)

    @property
    def candidates(self) -> int:
        """Hypotheses decoded side by side per sentence.

        Beam search keeps ``beam_size``. Greedy and sampling decode one, or three when repeated
        sentences are blocked, so a different sentence is at hand (greedy: the 2nd/3rd likeliest
        first word; sampling: further draws).
        """
        if self.method == "beam":
            return self.beam_size
        return 3 if self.block_repeated_sentences else 1

    @property
    def nucleus(self) -> bool:
        """Whether top-p filtering runs (sampling with ``top_p < 1``): it sorts every step."""
        return self.method == "sample" and self.top_p < 1

    def for_model(self, encoder_name: str, copies: bool) -> DecodingConfig:
        """This decoding as a model reading ``encoder_name`` features, copying terms or not
        (``copies``), applies it: the album share acts on term features only (the VIST models),
        so for other encoders it is 0; the copy weight acts on a copying model only, so for
        others it is 1.0 (nothing changed)."""
        unused = {"album_share": encoder_name != TERMS_ENCODER, "copy_weight": not copies}
        return dataclasses.replace(self, **{name: OFF[name] for name, off in unused.items() if off})

    def compiled_key(self) -> tuple:
        """The options fixed when the search is compiled (the others are passed as tensors)."""
        return (
            self.method,
            self.candidates,
            self.top_k,
            self.nucleus,
            self.no_repeat_ngram_size,
            self.block_repeated_sentences,
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> DecodingConfig:
        """Rebuild from :meth:`to_json`'s dict; unknown fields are refused."""
        return config_from_json(cls, document, "decoding options")
