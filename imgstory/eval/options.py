"""Help text of the evaluation options, written once for the CLI (--help) and the app (help=)."""

from __future__ import annotations

PROTOCOLS = ("arel", "challenge")

PROTOCOL_HELP = (
    "arel: one story per album against all its references, BLEU-1..4, METEOR, ROUGE-L, CIDEr "
    "(AREL's table and most papers). challenge: VIST challenge avg. max METEOR per photo "
    "sequence. Numbers from the two protocols are not comparable."
)
REFERENCES_HELP = (
    "arel: an AREL reference file mapping each album id to its list of reference stories "
    "(e.g. test_reference.json). "
    "challenge: the split's story-in-sequence file (references are grouped by photo sequence)."
)
PREDICTIONS_HELP = (
    "arel: JSON mapping each album id to its generated story, or to a one-story list (AREL's "
    "output format); albums left out are not scored and counted as missing. "
    "challenge: a submission with output_stories."
)
PER_ALBUM_HELP = "Also write one row per album (per photo sequence for challenge) to this CSV."
JSON_HELP = "Print one JSON object (metric keys on the 0-1 scale, coverage, warnings) to stdout."
_RESAMPLES = "Bootstrap resamples for 95% confidence intervals over albums"
_USUAL = "1000 is usual and takes well under a second"
BOOTSTRAP_HELP = f"{_RESAMPLES}, at least 1 ({_USUAL})."
#: ``evaluate``'s: intervals there are optional, off by default.
EVALUATE_BOOTSTRAP_HELP = f"{_RESAMPLES} (0, the default: no intervals; {_USUAL})."

#: Non-redundancy compares every pair of a story's sentences, a cost growing with the square of
#: their number: a story of more sentences has none (NaN, named by ``imgstory evaluate``).
#: VIST stories have five; a story of this many is no longer one RoViST was made for.
MAX_SENTENCES = 100

#: The story-metric counts that are not metrics (``--story-metrics`` output).
STORY_COUNTS = ("story_metrics_stories", "non_redundancy_undefined")
STORY_METRICS_HELP = (
    "Also report story-level metrics: non_redundancy (RoViST-NR, 1 = no repeated words between "
    "or inside sentences), distinct_1 and distinct_2 (unique uni/bigrams over all of them; "
    "higher = more varied wording); 0-1, reference-free; adds well under a second. A story of "
    f"more than {MAX_SENTENCES} sentences gets no non-redundancy (named in a warning)."
)
PER_STORY_HELP = (
    "Also give each story's values (implies --story-metrics): per_story in --json, one line per "
    "story otherwise, and columns of --per-album."
)
