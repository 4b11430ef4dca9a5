"""Do the VIST storytellers tell albums apart? A proxy on held-out VIST *val* albums (no test data).

The VIST models were trained on train + val text with 5% of the val albums held out
(``training_split``: the trainer's own fraction and seed). For each held-out album with at least
two stories, its first story stands in for the photos: each sentence becomes what the model's
encoder would give a photo of it -- its simulated terms without noise (``terms`` models) or its
class mixture (``concepts`` models) -- and the album's *other* stories are the references.
Systems: each model under several decoding settings, concept retrieval (the training story
best matching the inputs, as ``imgstory vist score`` does for photos) and a random training
story. Prints CIDEr (AREL protocol) with its 95% bootstrap interval over the albums and, for
each model's later rows, the paired-bootstrap difference from its first row; album
identification (top-1 / top-3 / mean rank among the held-out albums), non-redundancy (RoViST-NR)
and distinct-2 per story (means), the naming rate (sentences naming their input's top class
where its weight is 0.5+; ``eval/naming.py``) and the mean log-probability per token of the
written stories under the model and under an independent judge, ``vist-lstm-plain`` (fluency: a
model rates its own words too kindly), with two stories per setting to read.

This is where decoding ideas for real photos can be measured without touching test photos; it
is small (about 50 albums), so differences of one or two albums are noise, and two trainings
of one recipe differ by up to 0.02 CIDEr (docs/model.md): compare decodings of one model with
the paired test, and models with care.

The noisy terms (``--noisy``) are one random draw; ``--noise-seeds 1,2,3`` repeats every row for
other draws, each seed's rows against its own first row, then prints each row's CIDEr averaged
over the seeds with one paired test of the means (albums resampled, each album's stories of
every seed with it), so a setting's gain can be seen to hold.

    .venv/bin/python -m benchmarks.bench_val_grounding [--stories VAL_REFERENCES] [--models-dir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from benchmarks.bench_sampling import sentences_of, token_log_probability
from imgstory.decoding import DecodingConfig
from imgstory.eval.arel import evaluate_arel
from imgstory.eval.bootstrap import bootstrap_ci, paired_bootstrap_passes, paired_bootstrap_test
from imgstory.eval.identification import identify_albums
from imgstory.eval.naming import naming_rate
from imgstory.eval.story_metrics import distinct_2, non_redundancy
from imgstory.features.concepts import ConceptSpace
from imgstory.features.terms import TermNoise, TermSpace, album_terms
from imgstory.generation.storyteller import Storyteller
from imgstory.vist_models.build import training_split
from imgstory.vist_models.real_photos import random_stories, retrieval_stories
from imgstory.vist_models.text_stories import load_text_stories

VAL_STORIES = Path(__file__).resolve().parents[2] / "shared/vist/reference/val_reference.json"
MODELS = Path("assets/models")
JUDGE = "vist-lstm-plain"  # the fluency judge: the thesis architecture, no copying
SETTINGS = {  # each on top of DecodingConfig(); the album share is --album-shares
    "default (greedy, penalty 1.0, end 1.0, copy 0.6)": {},
    "greedy, copy weight 1.0": {"copy_weight": 1.0},
    "greedy, copy weight 0.8": {"copy_weight": 0.8},
    "greedy, copy weight 0.4": {"copy_weight": 0.4},
    "greedy, end penalty 0": {"end_penalty": 0.0},
    "greedy, end penalty 0.5": {"end_penalty": 0.5},
    "greedy, end penalty 1.5": {"end_penalty": 1.5},
    "greedy, sentence length 10.2, end penalty 0": {"sentence_length": 10.2, "end_penalty": 0.0},
    "greedy, penalty 0.5": {"repeat_penalty": 0.5},
    "greedy, no trigram blocking": {"no_repeat_ngram_size": 0},
    "beam 3, penalty 1.0": {"method": "beam"},
    "beam 3, penalty 1.0, end penalty 0": {"method": "beam", "end_penalty": 0.0},
    "beam 3, sentence length 10.2, end penalty 0": {
        "method": "beam",
        "sentence_length": 10.2,
        "end_penalty": 0.0,
    },
    "beam 3, penalty 0.5": {"method": "beam", "repeat_penalty": 0.5},
    "beam 3, length penalty 1": {"method": "beam", "repeat_penalty": 0.5, "length_penalty": 1.0},
    "beam 5": {"method": "beam", "repeat_penalty": 0.5, "beam_size": 5},
}


def held_out(path: Path):
    """``(train stories, inputs, references)``: the build's split (:func:`training_split`); per
    held-out album with 2+ stories, its first story (the stand-in for photos) and its other
    stories."""
    train, held = training_split([load_text_stories(path)])
    by_album = defaultdict(list)
    for story in held:
        by_album[story.album_id].append(story)
    inputs, references = {}, {}
    for album, told in sorted(by_album.items()):
        if len(told) >= 2:
            inputs[album] = told[0]
            references[album] = [story.story_text for story in told[1:]]
    return train, inputs, references


def report(label: str, references, stories, extra: str = "", versus=None):
    """One line of figures for ``album -> story``: CIDEr with its 95% bootstrap interval over
    the albums and, given ``versus`` (another row's scoring on the same albums), this row minus
    that one with its paired-bootstrap p-value. Returns this row's scoring."""
    scored = evaluate_arel(references, stories, meteor=False)
    cider = bootstrap_ci(scored, ["CIDEr"])["CIDEr"]
    found = identify_albums(references, stories)
    redundancy = [non_redundancy(story) for story in stories.values()]
    variety = np.mean([distinct_2(story) for story in stories.values()])
    paired = ""
    if versus is not None:
        test = paired_bootstrap_test(scored, versus, ["CIDEr"])["CIDEr"]
        paired = f"  {test.difference:+.3f} vs first (p {test.p_value:.3f})"
    figures = (
        f"{cider.value:6.3f} [{cider.low:.3f}, {cider.high:.3f}] {found.top1:5.2f} "
        f"{found.top3:5.2f} {np.mean(found.ranks):5.1f} {np.mean(redundancy):5.3f} "
        f"{min(redundancy):5.3f} {variety:5.3f}"
    )
    print(f"  {label:40s} {figures} {extra}{paired}")
    return scored


def model_inputs(
    teller: Storyteller,
    sentences: list[str],
    albums: int,
    terms: TermSpace,
    noise: TermNoise | None = None,
    album_share: float = 0.0,
    seed: int = 1,
) -> np.ndarray:
    """``(albums, 5, dim)``: the held-out stories' sentences as the model's encoder sees photos
    (class mixtures for ``concepts`` models, terms for ``terms`` models: without noise, or with
    ``noise``'s dropped and distractor classes drawn with ``seed``, as a classifier errs; each
    photo's classes mixed with its album's by ``album_share``, :func:`album_terms`)."""
    if teller.encoder_name == "terms":
        vectors = terms.sentence_terms(sentences, noise, seed=seed).reshape(albums, 5, -1)
        slots = terms.config.terms
        vectors = np.stack([album_terms(album, album_share, slots) for album in vectors])
    else:
        vectors = ConceptSpace.packaged().sentence_vectors(sentences)
    return vectors.reshape(albums, 5, -1)


def judge_of(teller: Storyteller, path: Path) -> Storyteller | None:
    """The judge of ``teller``'s fluency: the model at ``path`` where it is built and shares
    ``teller``'s vocabulary and encoder (None otherwise: its column then shows nan)."""
    if not path.is_dir():
        return None
    judge = Storyteller.load(path)
    same = judge.vocabulary.tokens == teller.vocabulary.tokens
    return judge if same and judge.encoder_name == teller.encoder_name else None


def over_seeds(name: str, passes: dict[str, list]) -> None:
    """Each row's CIDEr averaged over the noise seeds and, for the later rows, the mean minus
    the first row's with its paired bootstrap (``paired_bootstrap_passes``: albums are
    resampled and every seed's story of an album goes with it), so one interval says whether a
    gain holds over the draws."""
    rows = list(passes)
    first = passes[rows[0]]
    print(f"  {name}, mean over {len(first)} noise seeds (each row minus the first, paired):")
    for row in rows:
        test = paired_bootstrap_passes(passes[row], first, ["CIDEr"])["CIDEr"]
        versus = (
            f"  {test.difference:+.3f} [{test.low:.3f}, {test.high:.3f}] (p {test.p_value:.3f})"
            if row != rows[0]
            else ""
        )
        print(f"    {row:60s} CIDEr {test.value_a:.3f}{versus}")


def main() -> None:
    """Score every system on the held-out val albums."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=Path, default=VAL_STORIES)
    parser.add_argument("--models", default="vist-lstm,vist-gru,vist-lstm-plain")
    parser.add_argument("--models-dir", type=Path, default=MODELS, help="folder of the models")
    parser.add_argument(
        "--settings", default=";".join(SETTINGS), help="decoding settings, ;-separated"
    )
    parser.add_argument(
        "--noisy",
        action="store_true",
        help="give terms models noisy terms (the training noise: dropped and distractor classes)",
    )
    parser.add_argument(
        "--album-shares",
        default="0.3",
        help="comma-separated shares of each photo's terms taken from its album's mean "
        "(album_terms; 0.3 = the default decoding's album_share, 0 = each photo alone)",
    )
    parser.add_argument(
        "--noise-seeds",
        default="1",
        help="comma-separated seeds of the noisy terms (--noisy): one block of rows per seed, "
        "each compared with its own first row; the gain of a setting should hold over several",
    )
    args = parser.parse_args()
    if not args.stories.exists():
        raise SystemExit(f"{args.stories} is absent: point --stories at VIST val references")
    train, inputs, references = held_out(args.stories)
    albums = list(inputs)
    space = ConceptSpace.packaged()
    sequences = [inputs[album] for album in albums]
    sentences = [sentence for story in sequences for sentence in story.texts]
    mixtures = space.sentence_vectors(sentences)  # (albums * 5, 50)
    photo_vectors = dict(
        zip([photo for story in sequences for photo in story.photo_ids], mixtures, strict=True)
    )
    terms = TermSpace.packaged()
    classes = terms.sentence_classes(sentences)  # (albums * 5, 1000)
    print(f"{len(albums)} held-out val albums; chance: top-1 {1 / len(albums):.2f}, "
          f"top-3 {3 / len(albums):.2f}, mean rank {(len(albums) + 1) / 2:.1f}")  # fmt: skip
    print(f"  {'system':40s} {'CIDEr [95% CI]':>22s} {'top1':>5s} {'top3':>5s} {'rank':>5s} "
          f"{'NR':>5s} {'NRmin':>5s} {'dist2':>5s} naming logp/token (own, {JUDGE}), each "
          "model's rows minus its first")  # fmt: skip
    report("concept retrieval", references, retrieval_stories(photo_vectors, sequences, train))
    report("random val story", references, random_stories(sequences, train, seed=0))
    for name in args.models.split(","):
        if not (args.models_dir / name).is_dir():
            print(f"  {name}: not built, skipped")
            continue
        teller = Storyteller.load(args.models_dir / name)
        judge = judge_of(teller, args.models_dir / JUDGE)
        noise = TermNoise() if args.noisy else None
        seeds = list(map(int, args.noise_seeds.split(","))) if noise else [1]
        passes: dict[str, list] = {}  # row -> its scoring under each seed
        for seed in seeds:
            first = None  # each seed's rows against that seed's first row
            for share, label in itertools.product(
                map(float, args.album_shares.split(",")), args.settings.split(";")
            ):
                features = model_inputs(teller, sentences, len(albums), terms, noise, share, seed)
                config = DecodingConfig(**SETTINGS[label])
                row = f"{label}, album {share:g}" if share else label
                label = f"{row}, noise seed {seed}" if len(seeds) > 1 else row
                tokens = teller.search(config)(features, config)  # (albums, 5, width)
                written = sentences_of(teller, tokens)
                stories = {
                    album: " ".join(written[5 * row : 5 * row + 5])
                    for row, album in enumerate(albums)
                }
                named = naming_rate(written, classes, space)
                fluency = token_log_probability(teller, features, tokens)
                judged = token_log_probability(judge, features, tokens) if judge else np.nan
                extra = f"{named.named:3d}/{named.eligible:<3d} {fluency:8.3f} {judged:8.3f}"
                scored = report(f"{name}, {label}", references, stories, extra, first)
                first = first or scored
                passes.setdefault(row, []).append(scored.statistics)
                for album in albums[1:3]:
                    print(f"      {album}: {stories[album]}")
        if len(seeds) > 1:
            over_seeds(name, passes)
    for album in albums[1:3]:
        print(f"input of {album}: {inputs[album].story_text}")


if __name__ == "__main__":
    main()
