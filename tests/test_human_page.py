"""The Human evaluation page (AppTest): creating a study from the demo pack, rating, results,
and the bad inputs (an empty rater name, one system, a file that is not a study database)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from human_fixtures import ALBUMS
from streamlit.testing.v1 import AppTest

from imgstory.app.markup import literal
from imgstory.data.sis import load_sis
from imgstory.decoding import DecodingConfig
from imgstory.errors import UserInputError
from imgstory.eval.floors import first_stories
from imgstory.eval.predictions import load_predictions
from imgstory.human.store import SCHEMA_VERSION, HumanStore
from imgstory.human.study import StudySpec, SystemStories, create_study
from imgstory.paths import DEMO_DIR

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
LSTM_FILE = DEMO_DIR / "results" / "predictions" / "lstm-beam.json"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty ``IMGSTORY_DATA_DIR`` and the demo pack as the data source."""
    monkeypatch.setenv("IMGSTORY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IMGSTORY_VIST_DIR", raising=False)
    return tmp_path


def human_page(**query: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        app.query_params[key] = value
    app.run()
    app.switch_page("app_pages/human.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def fill_create_form(app: AppTest, name: str, systems: list[str], albums: int) -> None:
    options = app.multiselect[0]
    for wanted in systems:
        label = next(option for option in options.options if option.startswith(wanted))
        options.select(label)
    app.text_input[1].input(name)
    app.number_input[0].set_value(albums)
    app.number_input[2].set_value(2)  # judgements per item
    next(b for b in app.button if b.label == "Create study").click()
    app.run()


def test_a_study_made_on_the_page_stores_its_stories_and_photos(data_dir):
    app = human_page()
    assert app.segmented_control[0].value == "Create a study"  # a new project has none
    fill_create_form(app, "lstm-vs-people", ["Human reference", "predictions lstm-beam"], 3)
    assert not app.error, [e.value for e in app.error]
    assert "created: 3 albums, 2 systems" in app.success[0].value
    study_box = next(box for box in app.selectbox if box.label == "Study")
    assert study_box.options == ["lstm-vs-people"] and study_box.value == "lstm-vs-people"
    (link,) = app.get("link_button")
    assert link.proto.url.endswith("/human?project=default&study=lstm-vs-people")
    assert [code.value for code in app.code] == [link.proto.url]  # to copy
    assert str(data_dir) not in "\n".join(c.value for c in app.caption)  # no server path
    assert literal("<IMGSTORY_DATA_DIR>/human/default.sqlite") in "\n".join(
        c.value for c in app.caption
    )
    app.run()
    assert not app.success and not app.get("link_button")  # said once
    store = HumanStore.open(data_dir / "human" / "default.sqlite")
    first = first_stories(load_sis(DEMO_DIR / "sis" / "test.story-in-sequence.json").stories)
    lstm = load_predictions(LSTM_FILE)
    with store.read() as connection:
        items = connection.execute("SELECT * FROM items").fetchall()
    assert len(items) == 3
    for item in items:
        stories = {item["system_a"]: item["story_a"], item["system_b"]: item["story_b"]}
        album = item["album_id"]
        assert stories == {"human reference": first[album].story_text, "lstm-beam": lstm[album]}
        assert tuple(json.loads(item["photo_ids"])) == first[album].photo_ids


def test_prediction_files_are_named_within_the_data_folder_not_by_server_path(data_dir):
    options = human_page().multiselect[0].options
    assert "predictions lstm-beam (results/predictions/lstm-beam.json)" in options
    assert not [option for option in options if str(DEMO_DIR.parent) in option]


def test_a_model_system_says_which_decoding_wrote_its_stories(data_dir):
    """A model chosen on the form tells its stories with the default decoding, and the stored
    description says so (it said "beam 3" while the stories were greedy)."""
    app = human_page()
    fill_create_form(app, "demo-lstm-vs-people", ["Human reference", "model: LSTM (demo pack"], 2)
    assert not app.error, [e.value for e in app.error]
    store = HumanStore.open(data_dir / "human" / "default.sqlite")
    with store.read() as connection:
        (description,) = connection.execute(
            "SELECT description FROM systems WHERE is_human = 0"
        ).fetchone()
    decoding = DecodingConfig()
    assert "beam" not in description
    assert (
        f"{decoding.method} decoding (presence penalty {decoding.repeat_penalty:g}, sentence-end "
        f"penalty {decoding.end_penalty:g}, album share 0, copy weight 1)" in description
    )  # the demo model reads no terms and copies none: neither option acts on it


def test_a_study_can_put_a_model_s_default_decoding_beside_its_beam_search(data_dir):
    """The thesis compares greedy and beam decoding of one model: both can be systems of one
    study, named apart, each told with its own decoding (checked against the model itself)."""
    from imgstory.generation.storyteller import Storyteller

    app = human_page()
    options = app.multiselect[0].options
    default = next(o for o in options if o.startswith("model: LSTM (demo pack"))
    beam = next(o for o in options if o.startswith(default) and "beam search" in o)
    options_chosen = app.multiselect[0]
    options_chosen.select(default).select(beam)
    app.text_input[1].input("greedy-vs-beam")
    app.number_input[0].set_value(2)
    app.number_input[2].set_value(2)
    next(b for b in app.button if b.label == "Create study").click()
    app.run()
    assert not app.error, [e.value for e in app.error]
    store = HumanStore.open(data_dir / "human" / "default.sqlite")
    with store.read() as connection:
        systems = dict(connection.execute("SELECT name, description FROM systems").fetchall())
        item = connection.execute("SELECT * FROM items").fetchone()
    assert set(systems) == {"lstm", "lstm, beam"}
    assert "beam 3 decoding" in systems["lstm, beam"] and "beam" not in systems["lstm"]
    teller = Storyteller.load(DEMO_DIR / "models" / "lstm")
    photos = [DEMO_DIR / "images" / "test" / f"{p}.jpg" for p in json.loads(item["photo_ids"])]
    told = {item["system_a"]: item["story_a"], item["system_b"]: item["story_b"]}
    for name, method in (("lstm", "greedy"), ("lstm, beam", "beam")):
        decoding = teller.applied(DecodingConfig(method=method))
        assert told[name] == teller.generate_from_images(photos, decoding).story
    assert told["lstm"] != told["lstm, beam"]  # the two decodings tell this album apart


def test_a_turing_form_asks_no_pairwise_aspects(data_dir):
    app = human_page()
    assert [m.label for m in app.multiselect] == ["Systems (two or more)", "Aspects"]
    next(r for r in app.radio if r.label == "Kind").set_value("turing").run()
    assert [m.label for m in app.multiselect] == ["Systems (two or more)"]
    fill_create_form(app, "people-or-not", ["Human reference", "predictions lstm-beam"], 2)
    assert not app.error and "created: 2 albums, 2 systems" in app.success[0].value


def test_the_rater_link_is_absolute_on_the_page_s_server():
    from imgstory.app.human_view import rater_link

    assert rater_link("p 1", "a&b") == "/human?project=p+1&study=a%26b"
    assert (
        rater_link("p", "s", base="http://host:8501/human?project=p&mode=Create+a+study")
        == "http://host:8501/human?project=p&study=s"
    )


def test_one_system_is_refused_on_the_page_and_nothing_is_stored(data_dir):
    app = human_page()
    fill_create_form(app, "alone", ["predictions lstm-beam"], 3)
    assert "two systems or more; found 1 (lstm-beam)" in app.error[0].value
    assert HumanStore.open(data_dir / "human" / "default.sqlite").study_names() == []


def test_rating_and_results_on_the_page(data_dir):
    app = human_page()
    fill_create_form(app, "s", ["Human reference", "predictions lstm-beam"], 2)
    app = human_page(study="s")
    assert app.segmented_control[0].value == "Rate"
    app.text_input[1].input("   ")
    app.button[0].click()
    app.run()
    assert "rater name is empty" in app.error[0].value
    with HumanStore.open(data_dir / "human" / "default.sqlite").read() as connection:
        assert connection.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 0

    app.text_input[1].input("Ann")
    app.button[0].click()
    app.run()
    assert app.query_params["rater"] in ("Ann", ["Ann"])  # a reload keeps the rater
    labels = [button.label for button in app.button]
    assert labels == ["Not you? Change rater", "Left story", "Tie / unsure", "Right story"]
    assert "lstm-beam" not in "\n".join(m.value for m in app.markdown)  # blind
    captions = [item.caption for image in app.get("image") for item in image.proto.imgs]
    assert captions == ["1", "2", "3", "4", "5"]  # the album's 5 photos in order
    for _ in range(3 * 2):  # 2 items x 3 aspects
        next(button for button in app.button if button.label == "Left story").click()
        app.run()
    assert "You have judged every item" in app.success[0].value

    app.segmented_control[0].set_value("Results")
    app.run()
    pairwise = app.table[0].value
    assert list(pairwise["aspect"]) == ["expressiveness", "concreteness", "relevance"]
    assert list(pairwise["n"]) == [2, 2, 2]
    assert list(pairwise["pair"]) == ["human reference vs lstm-beam"] * 3


@pytest.mark.parametrize("kind", ["text", "newer"])
def test_a_project_file_that_is_not_a_study_database_is_refused_untouched(data_dir, kind):
    path = data_dir / "human" / "bad.sqlite"
    path.parent.mkdir(parents=True)
    if kind == "text":
        path.write_text("judgements I typed by hand\n")
    else:
        HumanStore.open(path, create=True)
        import sqlite3

        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode = DELETE")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        connection.close()
    before = path.read_bytes()
    app = human_page(project="bad")
    message = app.error[0].value
    assert literal(str(path)) in message and "nothing was changed" in message  # shown as text
    assert path.read_bytes() == before


OUTSIDE = "198.51.100.7"
HOSTILE_STUDY = f"lstm vs gru; touch /tmp/x # ![s](http://{OUTSIDE}/s.png)"


def markdown_bodies(app: AppTest) -> list[str]:
    """Every text the page hands Streamlit's Markdown renderer (tables' cells included)."""
    bodies = [
        element.value
        for kind in ("markdown", "caption", "success", "error", "info", "warning", "subheader")
        for element in app.get(kind)
    ]
    for table in app.table:
        bodies += [str(cell) for row in table.value.itertuples() for cell in row]
    return bodies


def fetched_or_linked(bodies: list[str]) -> list[str]:
    """The images and links a Markdown renderer (markdown-it, CommonMark + tables) makes of the
    bodies: what a browser would fetch or offer to follow."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark").enable("table")
    return [
        token.attrGet("src") or token.attrGet("href")
        for body in bodies
        for block in renderer.parse(body)
        for token in block.children or []
        if token.type in ("image", "link_open")
    ]


def test_user_text_is_shown_as_text_and_the_command_is_quoted(data_dir):
    """Issue 29.2-3: a study, system, description, rater name and story holding Markdown images
    make no request; the shown command, pasted into a shell, is one `imgstory` command."""
    stories = {a.album_id: f"we saw ![t](http://{OUTSIDE}/t.png) at {a.album_id} ." for a in ALBUMS}
    systems = tuple(
        SystemStories(f"![{n}](http://{OUTSIDE}/{n}.png)", f"[d](http://{OUTSIDE}/{n})", stories)
        for n in ("a", "b")
    )
    store = HumanStore.open(data_dir / "human" / "default.sqlite", create=True)
    spec = StudySpec(HOSTILE_STUDY, "pairwise", systems, ALBUMS, ("relevance",), 2, "albums")
    create_study(store, spec)
    rater = f"![r](http://{OUTSIDE}/r.png)"
    rating = human_page(study=HOSTILE_STUDY, rater=rater)
    assert any(OUTSIDE in body for body in markdown_bodies(rating))  # the stories are shown
    assert fetched_or_linked(markdown_bodies(rating)) == []
    results = human_page(study=HOSTILE_STUDY, mode="Results")
    assert fetched_or_linked(markdown_bodies(results)) == []
    (command,) = [code.value for code in results.code]
    assert shlex.split(command) == [
        "imgstory", "human", "report", "--db", str(store.path), "--study", HOSTILE_STUDY, "--json",
    ]  # fmt: skip


@pytest.mark.parametrize("project", ["visitor1", "x'); DROP--", "p" * 300])
def test_a_visit_creates_no_file_and_odd_project_names_get_one_line(data_dir, project):
    """Issue 29.5: every visit to /human?project=NAME made a database; odd names were accepted
    (300 characters ended in an OSError)."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["project"] = project
    app.run()
    app.switch_page("app_pages/human.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not (data_dir / "human").exists() or not any((data_dir / "human").iterdir())
    if project != "visitor1":
        (message,) = [error.value for error in app.error]
        assert "use 1 to 64 letters, digits" in message and "\n" not in message


def test_projects_and_studies_are_capped(data_dir):
    """Issue 29.5: a visitor cannot fill the disk with projects, studies or huge stories."""
    from imgstory.human import study as studies
    from imgstory.human.store import MAX_PROJECTS

    folder = data_dir / "human"
    store = HumanStore.open(folder / "full.sqlite", create=True)
    stories = {a.album_id: f"a story of {a.album_id} ." for a in ALBUMS}
    systems = (SystemStories("a", "x", stories), SystemStories("b", "y", stories))
    for number in range(studies.MAX_STUDIES):
        create_study(
            store, StudySpec(f"s{number}", "pairwise", systems, ALBUMS, ("relevance",), 1, "d")
        )
    with pytest.raises(UserInputError, match="holds 50 studies, the most a project may"):
        create_study(
            store, StudySpec("one more", "pairwise", systems, ALBUMS, ("relevance",), 1, "d")
        )
    long = SystemStories("long", "z", {a.album_id: "word " * 2000 for a in ALBUMS})
    with pytest.raises(UserInputError, match="story of album album1 is over 5000 characters"):
        create_study(
            store, StudySpec("long", "pairwise", (systems[0], long), ALBUMS, ("relevance",), 1, "d")
        )
    for number in range(MAX_PROJECTS - 1):
        (folder / f"p{number}.sqlite").write_bytes(b"")
    app = human_page(project="new")
    fill_create_form(app, "s", ["Human reference", "predictions lstm-beam"], 2)
    assert "already holds 100 projects, the most allowed" in app.error[0].value
    assert not (folder / "new.sqlite").exists()


def test_a_damaged_database_is_one_message_on_the_page(data_dir):
    """Issue 29.8: the Results view of a database with damaged aspects was a traceback."""
    import sqlite3

    from human_fixtures import small_study

    store = small_study(data_dir / "human" / "default.sqlite")
    with sqlite3.connect(store.path) as connection:
        connection.execute("UPDATE studies SET aspects = '[not json'")
    connection.close()
    app = human_page(study="study", mode="Results")
    (message,) = [error.value for error in app.error]
    assert "damaged, or not the layout this IMG\\_Story reads" in message
