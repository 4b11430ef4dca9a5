"""Tell and score real VIST test photos: our models, released systems, humans and floors alike.

Every row is scored on the same albums (each album's first story whose 5 photos are present):
our models tell the photos exactly as ``imgstory generate`` and the app do (one album at a
time, :meth:`Storyteller.generate_from_images`); released systems bring their published stories
(for the same photo sequence where they released one per sequence); the human references are
scored leave-one-out; the floors need no model (a constant story, a random training story,
whole-story concept retrieval, per-photo sentence retrieval). Scores: the AREL protocol with
bootstrap intervals, album identification, story quality, naming rate, and paired bootstrap
tests of the thesis model against every row (:mod:`imgstory.eval.report`). Test data is only
scored, never trained on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from imgstory.data.sis import Story
from imgstory.decoding.config import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.eval.floors import nearest_stories, random_stories
from imgstory.eval.released import CONSTANT_STORY, ReleasedFiles
from imgstory.eval.report import RealPhotoReport
from imgstory.vist_models.text_guard import check_no_test_text

if TYPE_CHECKING:
    from imgstory.eval.scoreboard import ToldStories

RESAMPLES = 1000
#: The thesis model's directory under ``assets/models`` (the shipped VIST LSTM).
THESIS_DIRECTORY = "vist-lstm"
THESIS_SYSTEM = "VIST LSTM, greedy, the default decoding (thesis model)"
BEAM_SYSTEM = "VIST LSTM, beam search (the thesis's decoding)"
GRU_SYSTEM = "VIST GRU, greedy (GRU baseline)"
#: Rows of other shipped model directories, by directory name (others keep their label).
DIRECTORY_SYSTEMS = {
    "vist-lstm-plain": "VIST LSTM without copying, greedy (plain thesis architecture)",
}
DEMO_SYSTEM = "demo LSTM (drawn scenes)"
HUMAN_SYSTEM = "human references (leave-one-out)"
CONSTANT_SYSTEM = "constant story (the same for every album)"
RANDOM_SYSTEM = "random training story"
RETRIEVAL_SYSTEM = "concept retrieval (whole training story)"
SENTENCE_RETRIEVAL_SYSTEM = "sentence retrieval (a training sentence per photo)"
PROTOCOL = (
    "AREL (one story per album against all its reference stories; coco-caption BLEU-4, METEOR "
    "1.5 -t hter, ROUGE-L, CIDEr-D), 95% bootstrap intervals over albums (1000 resamples); "
    "album identification = rank of the album's own references by CIDEr-D among all scored "
    "albums' references (ties count against), 95% Wilson intervals; naming rate = share of "
    "photos whose top ImageNet class has probability >= 0.5 whose own sentence names it (its "
    "word, plural or a GloVe-50 cosine >= 0.6); paired bootstrap tests: the thesis model minus "
    "each row on the albums both told (1000 resamples)"
)


@dataclass(frozen=True)
class ModelRow:
    """A model told with one decoding: a row of the comparison."""

    name: str
    model_dir: Path
    decoding: DecodingConfig


def photo_sequences(stories: Sequence[Story], photos_dir: Path) -> tuple[list[Story], dict]:
    """The first story of each album whose 5 photos are all in ``photos_dir``, and their files."""
    from imgstory.data.photos import PhotoFinder

    finder = PhotoFinder(photos_dir)
    chosen: dict[str, Story] = {}
    files: dict[str, Path] = {}
    for story in stories:
        if story.album_id in chosen:
            continue
        found = [finder.find(photo) for photo in story.photo_ids]
        if all(found):
            chosen[story.album_id] = story
            files.update(zip(story.photo_ids, found, strict=True))
    if not chosen:
        raise UserInputError(f"{photos_dir}: no album has all 5 photos of one of its stories")
    return list(chosen.values()), files


def retrieval_stories(
    photo_vectors: Mapping[str, np.ndarray], sequences: Sequence[Story], train: Sequence[Story]
) -> dict[str, str]:
    """Concept retrieval: per album, the training story whose sentences' meanings best match
    its photos' concept vectors, position by position
    (:func:`imgstory.eval.floors.nearest_stories`)."""
    from imgstory.features.concepts import ConceptSpace

    texts = [sentence for story in train for sentence in story.texts]
    candidates = ConceptSpace.packaged().sentence_meanings(texts).reshape(len(train), 5, -1)
    queries = {  # album -> (5, 50), as the candidates: (stories, 5, 50)
        story.album_id: np.stack([photo_vectors[photo] for photo in story.photo_ids])
        for story in sequences
    }
    return nearest_stories(queries, candidates, train)


def sentence_retrieval_stories(
    photo_vectors: Mapping[str, np.ndarray], sequences: Sequence[Story], train: Sequence[Story]
) -> dict[str, str]:
    """Per-photo sentence retrieval: for each photo, the training sentence whose terms (its
    class mixture: the ImageNet class names nearest its meaning) best match the photo's (its
    likeliest classes), no sentence twice in a story."""
    from imgstory.features.concepts import ConceptSpace

    texts = list(dict.fromkeys(sentence for story in train for sentence in story.texts))
    candidates = ConceptSpace.packaged().sentence_vectors(texts)  # (sentences, 50)
    told = {}
    for story in sequences:
        used: set[int] = set()
        chosen = []
        for photo in story.photo_ids:
            scores = candidates @ photo_vectors[photo]  # (sentences,)
            scores[list(used)] = -np.inf
            best = int(np.argmax(scores))
            used.add(best)
            chosen.append(texts[best])
        told[story.album_id] = " ".join(chosen)
    return told


def model_rows(models: Mapping[str, Path]) -> list[ModelRow]:
    """The rows of our models, by the cell each directory's config names.

    The thesis LSTM (the directory named ``vist-lstm``, else the first LSTM) gives the first two
    rows: the thesis row (the default decoding, greedy since it was chosen on the val proxy)
    and the same model with beam search (the thesis's decoding: the decoding comparison); then,
    in order, the first GRU its default row and any other model one default row under its label.
    """
    configs = {
        label: json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
        for label, path in models.items()
    }
    cells = {label: config.get("model", {}).get("cell") for label, config in configs.items()}

    def told(label: str, decoding: DecodingConfig) -> DecodingConfig:
        """``decoding`` as the model applies it (:meth:`DecodingConfig.for_model`)."""
        encoder = configs[label].get("encoder", {}).get("name", "")
        return decoding.for_model(encoder, configs[label].get("model", {}).get("copy_terms", False))

    default, beam = DecodingConfig(), DecodingConfig(method="beam")
    lstms = [label for label, cell in cells.items() if cell == "lstm"]
    named = [label for label in lstms if Path(models[label]).name == THESIS_DIRECTORY]
    thesis = (named or lstms or [None])[0]
    gru = next((label for label, cell in cells.items() if cell == "gru"), None)
    rows = []
    if thesis is not None:
        rows += [
            ModelRow(THESIS_SYSTEM, Path(models[thesis]), told(thesis, default)),
            ModelRow(BEAM_SYSTEM, Path(models[thesis]), told(thesis, beam)),
        ]
    for label, model_dir in models.items():
        if label != thesis:
            name = DIRECTORY_SYSTEMS.get(Path(model_dir).name, label)
            system = GRU_SYSTEM if label == gru else name
            rows.append(ModelRow(system, Path(model_dir), told(label, default)))
    return rows


def tell_albums(
    rows: Sequence[ModelRow], sequences: Sequence[Story], files: Mapping[str, Path]
) -> dict[str, dict[str, str]]:
    """``row name -> album id -> story``, each album told alone from its photo files, as
    ``imgstory generate`` tells them (so the stored stories are the ones a user gets)."""
    from imgstory.generation.storyteller import Storyteller

    tellers: dict[Path, Storyteller] = {}
    told = {}
    for row in rows:
        if row.model_dir not in tellers:
            tellers[row.model_dir] = Storyteller.load(row.model_dir)
        teller = tellers[row.model_dir]
        told[row.name] = {
            story.album_id: teller.generate_from_images(
                [files[photo] for photo in story.photo_ids], row.decoding
            ).story
            for story in sequences
        }
    return told


def released_stories(
    released: ReleasedFiles, sequences: Sequence[Story]
) -> tuple[dict[str, str], set[str], str]:
    """A released system's story per album: the one for the same photo sequence from its
    challenge-format file where it has one, else its one story per album (AREL format).

    Returns:
        ``album -> story``, the albums whose story is for these very photos, and a note.
    """
    told, same_photos = {}, set()
    for story in sequences:
        key = (story.album_id, story.photo_ids)
        if released.sequences is not None and key in released.sequences:
            told[story.album_id] = released.sequences[key]
            same_photos.add(story.album_id)
        elif released.albums is not None and story.album_id in released.albums:
            told[story.album_id] = released.albums[story.album_id]
    if same_photos and len(same_photos) == len(told):
        note = "its released story for the same photo sequence (challenge-format outputs)"
    elif same_photos:
        note = (
            f"its released story for the same photo sequence on {len(same_photos)} albums, "
            "else its one story per album"
        )
    else:
        note = (
            "its one released story per album (AREL format): it may tell another photo "
            "sequence of the album, so no naming rate"
        )
    return told, same_photos, note


def model_fingerprint(model_dir: Path) -> dict[str, object]:
    """What identifies a model directory: a digest of its files, its vocabulary and encoder
    fingerprints, and its card's creation time and commit."""
    from imgstory.pretrained import file_sha256

    model_dir = Path(model_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.iterdir() if p.is_file()):
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    card_file = model_dir / "model_card.json"
    card = json.loads(card_file.read_text(encoding="utf-8")) if card_file.is_file() else {}
    return {
        "files_sha256": digest.hexdigest()[:16],
        "cell": config.get("model", {}).get("cell"),
        "vocab_fingerprint": config.get("vocab_fingerprint"),
        "encoder": f"{config.get('encoder', {}).get('name')} "
        f"{config.get('encoder', {}).get('fingerprint')}",
        "created": card.get("created"),
        "commit": card.get("commit"),
    }


def code_version() -> dict[str, object]:
    """The package version, the git commit and whether tracked files had uncommitted changes."""
    from imgstory import __version__
    from imgstory.model.card import git_commit
    from imgstory.paths import REPO_ROOT

    commit = git_commit()
    changed = None
    if commit is not None:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        changed = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"imgstory": __version__, "commit": commit, "uncommitted_changes": changed}


def _told_by_models(
    rows: Sequence[ModelRow],
    sequences: Sequence[Story],
    files: Mapping[str, Path],
    albums: Sequence[str],
) -> ToldStories:
    """The model rows' stories (:func:`tell_albums`), each told from every album's own photos."""
    from imgstory.eval.scoreboard import ToldStories

    told = tell_albums(rows, sequences, files)
    return ToldStories(
        told,
        dict.fromkeys(told, "model"),
        {row.name: f"told by {row.model_dir.name} from the photos" for row in rows},
        {name: set(albums) for name in told},
        {row.name: row.model_dir.name for row in rows},
    )


def _add_released(
    told: ToldStories, released: Sequence[ReleasedFiles], sequences: Sequence[Story]
) -> None:
    """Add a row to ``told`` for every released system with a story for a scored album."""
    for system in released:
        stories, exact, note = released_stories(system, sequences)
        if stories:
            told.stories[system.system], told.notes[system.system] = stories, note
            told.kinds[system.system], told.same_photos[system.system] = "released", exact


def _add_floors(
    told: ToldStories,
    probabilities: Mapping[str, np.ndarray],
    sequences: Sequence[Story],
    train: Sequence[Story],
    albums: Sequence[str],
    seed: int,
) -> None:
    """Add the floors' rows to ``told``: the constant story, a random training story (drawn with
    ``seed``), and concept and sentence retrieval from the photos' class ``probabilities``."""
    from imgstory.features.concepts import ConceptSpace

    photo_ids = list(probabilities)
    concept_vectors = ConceptSpace.packaged().photo_vectors(np.stack(list(probabilities.values())))
    vectors = dict(zip(photo_ids, concept_vectors, strict=True))  # photo id -> (50,)
    floors = {
        CONSTANT_SYSTEM: dict.fromkeys(albums, CONSTANT_STORY),
        RANDOM_SYSTEM: random_stories(sequences, train, seed),
        RETRIEVAL_SYSTEM: retrieval_stories(vectors, sequences, train),
        SENTENCE_RETRIEVAL_SYSTEM: sentence_retrieval_stories(vectors, sequences, train),
    }
    for name, stories in floors.items():
        told.stories[name], told.kinds[name], told.same_photos[name] = stories, "floor", set(albums)
    told.notes[CONSTANT_SYSTEM] = f"'{CONSTANT_STORY}' for every album"
    told.notes[RANDOM_SYSTEM] = f"a training story drawn at random per album (seed {seed})"
    told.notes[RETRIEVAL_SYSTEM] = (
        "the training story whose sentences' meanings best match the photos' concepts, "
        "position by position"
    )
    told.notes[SENTENCE_RETRIEVAL_SYSTEM] = (
        "for each photo, the training sentence whose class mixture best matches the photo's "
        "likeliest classes, no sentence twice in a story"
    )


def evaluate_on_real_photos(
    test_stories: Sequence[Story],
    photos_dir: str | Path,
    references: Mapping[str, list[str]],
    models: Mapping[str, str | Path],
    train: Sequence[Story],
    *,
    released: Sequence[ReleasedFiles] = (),
    training_text: str = "",
    training_files: Sequence[dict] = (),
    floor_text: str = "",
    seed: int = 0,
) -> RealPhotoReport:
    """Tell and score every album of ``test_stories`` whose photos are in ``photos_dir``.

    Args:
        test_stories: test-split stories (SIS) giving each album's photo sequence.
        photos_dir: the photos (``<photo_flickr_id>.jpg``, flat or in split folders).
        references: AREL-format test references.
        models: label -> model directory (see :func:`model_rows`); the thesis row is the
            LSTM's beam search, else the first model row.
        train: the training stories the floors draw from (never test stories).
        released: released systems' outputs (:func:`imgstory.eval.released.find_released_files`).
        training_text: what the models learned from, in words, for the file.
        training_files: the training text files (``TextStories.card()``), for the file.
        floor_text: what ``train`` is, for the file.
        seed: the random floor's seed.
    """
    from imgstory.eval.scoreboard import score_rows
    from imgstory.vist_models.grounding import photo_probabilities

    check_no_test_text(train, references, "the floors' training text")
    sequences, files = photo_sequences(test_stories, Path(photos_dir))
    album_references = {story.album_id: references[story.album_id] for story in sequences}
    rows = model_rows({label: Path(path) for label, path in models.items()})
    if not rows:
        raise UserInputError("no model to score: build them first (`imgstory vist build`)")
    albums = list(album_references)
    told = _told_by_models(rows, sequences, files, albums)
    _add_released(told, released, sequences)
    probabilities = photo_probabilities(files)
    _add_floors(told, probabilities, sequences, train, albums, seed)
    thesis = THESIS_SYSTEM if THESIS_SYSTEM in told.stories else rows[0].name
    systems = score_rows(
        told,
        thesis,
        album_references,
        sequences,
        test_stories,
        probabilities,
        HUMAN_SYSTEM,
        resamples=RESAMPLES,
    )
    return RealPhotoReport(
        data=(
            f"VIST test split: the {len(sequences)} albums with all 5 photos of a story in "
            f"{Path(photos_dir).name}/ (one photo sequence each)"
        ),
        albums=tuple(album_references),
        protocol=PROTOCOL,
        training_text=training_text,
        training_files=list(training_files),
        floor_text=floor_text,
        thesis=thesis,
        systems=systems,
        models={row.model_dir.name: model_fingerprint(row.model_dir) for row in rows},
        decoding={row.name: dataclasses.asdict(row.decoding) for row in rows},
        code_version=code_version(),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
