"""AppTest tests of every page: smoke runs on a tiny VIST folder, uploads, generation, errors."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_fixtures import THEMES, jpeg_bytes, scene

from imgstory.app import photo_inputs
from imgstory.errors import UserInputError

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
PAGES = ["home", "explore", "generate", "features", "compare", "thesis"]  # human: its own tests


def open_page(page: str, timeout: float = 60) -> AppTest:
    """The app, run once, then switched to ``app_pages/<page>.py`` and run again."""
    app = AppTest.from_file(APP, default_timeout=timeout)
    app.run()
    if page != "home":
        app.switch_page(f"app_pages/{page}.py")
        app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(app: AppTest) -> str:
    """All markdown, captions, infos, warnings and errors of a run, as one string."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error")
             for e in getattr(app, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def image_captions(app: AppTest) -> list[str]:
    """Captions of every ``st.image`` of a run."""
    return [caption for image in app.get("image") for caption in image_protos(image)]


def image_protos(image) -> list[str]:
    return [item.caption for item in image.proto.imgs]


def plotly_figures(app: AppTest) -> list[dict]:
    """The Plotly figures of a run, as JSON documents."""
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def metric_charts(app: AppTest) -> list[dict]:
    """The Vega-Lite metric charts of a run (Model comparison), as specs with their data (which
    Streamlit sends apart, as Arrow) back under ``data.values``."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    charts = []
    for chart in app.get("vega_lite_chart"):
        rows = convert_arrow_bytes_to_pandas_df(chart.proto.data.data)
        charts.append({**json.loads(chart.proto.spec), "data": {"values": rows.to_dict("records")}})
    return charts


def plotly_array(values) -> np.ndarray:
    """A Plotly array, which may be a list or base64 'bdata' with a dtype."""
    if isinstance(values, dict):
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = values.get("shape")
        return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
    return np.asarray(values)


RAW_KEYS = (
    "Bleu_",
    "ROUGE_L",
    "value_a",
    "value_b",
    "p_value",
    "ci_low",
    "ci_high",
    "lstm-beam",
    "lstm-greedy",
    "gru-beam",
    "non_redundancy",
    "distinct_1",
    "distinct_2",
)


def shown_texts_of_chart(spec: dict) -> list[str]:
    """What a Vega-Lite spec shows as text: titles (chart, axes, legends), the fields of
    channels without a title (shown as the title), and every string value of its data."""
    shown = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "title" and isinstance(value, str):
                    shown.append(value)
                elif key == "title" and isinstance(value, dict) and "text" in value:
                    shown.append(str(value["text"]))
            if "field" in node and "title" not in node and "type" in node:
                shown.append(str(node["field"]))
            for key, value in node.items():
                if key != "data":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    for row in spec.get("data", {}).get("values", []):
        shown += [value for value in row.values() if isinstance(value, str)]
    return shown


def shown_texts_of_tables(app: AppTest) -> list[str]:
    """Column names, index names and string cells of every table and dataframe of a run."""
    shown = []
    for frame in [d.value for d in app.dataframe] + [t.value for t in app.table]:
        shown += [str(c) for c in frame.columns] + [str(n) for n in frame.index.names if n]
        shown += [str(i) for i in frame.index if isinstance(i, str)]
        for column in frame.columns:
            shown += [v for v in frame[column] if isinstance(v, str)]
    return shown


def test_no_arrow_fallback_when_model_comparison_renders(on_tiny_data, caplog):
    """A "—" in a number column made Streamlit log an ArrowInvalid traceback on every render
    of Model comparison; missing numbers stay numbers (NaN), drawn as "—"."""
    import logging

    from streamlit import dataframe_util

    logger = dataframe_util._LOGGER  # Streamlit's loggers do not propagate: listen to this one
    level = logger.level
    logger.setLevel(logging.INFO)  # the server's default level ("info")
    logger.addHandler(caplog.handler)
    try:
        open_page("compare")
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [message for message in logged if "Arrow" in message]


def raw_keys_shown(app: AppTest) -> list[str]:
    """Every shown text of a run's tables and charts holding a raw key (:data:`RAW_KEYS`)."""
    texts_shown = shown_texts_of_tables(app)
    for spec in metric_charts(app):
        texts_shown += shown_texts_of_chart(spec)
    for figure in plotly_figures(app):
        texts_shown += [str(v) for v in _plotly_titles(figure)]
    return sorted({t for t in texts_shown if any(key in t for key in RAW_KEYS)})


def _plotly_titles(figure: dict) -> list[str]:
    layout = figure.get("layout", {})
    titles = [layout.get("title", {}).get("text", "")]
    titles += [
        v.get("title", {}).get("text", "")
        for k, v in layout.items()
        if k.startswith(("xaxis", "yaxis"))
    ]
    titles += [trace.get("name", "") for trace in figure.get("data", [])]
    return [t for t in titles if isinstance(t, str)]


@pytest.fixture
def on_tiny_vist(monkeypatch, tiny_vist, tiny_models):
    """The app pointed at the tiny VIST folder and the tiny models folder."""
    monkeypatch.setenv("IMGSTORY_VIST_DIR", str(tiny_vist))
    monkeypatch.setenv("IMGSTORY_MODELS_DIR", str(tiny_models))
    return tiny_vist


@pytest.fixture
def on_tiny_data(monkeypatch, tiny_vist):
    """The app pointed at the tiny VIST folder, with no user models."""
    monkeypatch.setenv("IMGSTORY_VIST_DIR", str(tiny_vist))
    monkeypatch.delenv("IMGSTORY_MODELS_DIR", raising=False)
    return tiny_vist


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_interaction(on_tiny_data, page):
    app = open_page(page)
    assert app.title and app.title[0].value
    assert f"VIST folder '{on_tiny_data.name}'" in texts(app)  # every page names its data


def test_home_shows_architecture_and_loaded_data(on_tiny_data):
    app = open_page("home")
    assert len(app.get("graphviz_chart")) == 1
    shown = texts(app)
    assert "- train: 6 albums, 12 stories" in shown and "- test: 3 albums, 6 stories" in shown
    assert "- tiny-lstm" not in shown  # no user models folder here
    assert f"VIST folder '{on_tiny_data.name}'" in texts(app)
    links = [link.proto.page for link in app.get("page_link")]
    assert sorted(links) == sorted([*PAGES[1:], "human"])  # every other page, by URL


def sent_choice(widget) -> str | None:
    """The option text a choice widget's run sends the browser to show selected (None when the
    run sends none: the browser keeps the text it had)."""
    return widget.proto.raw_value if widget.proto.set_value else None


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_language_switch_keeps_every_choice_shown_selected(on_tiny_vist, monkeypatch, language):
    """The browser holds a choice as its shown text: after a switch the run sends each choice
    again in the new language (before, the sidebar's Data source showed no option selected)."""
    from imgstory.app.i18n import LANGUAGE_KEY

    # starts in the other language (AppTest shows options in the default language)
    monkeypatch.setenv("IMGSTORY_LANGUAGE", "en" if language == "ru" else "ru")
    app = open_page("generate", timeout=180)
    app.radio(key="source_kind").set_value("Demo pack").run()
    app.radio(key="photo_source").set_value(photo_inputs.DATASET).run()
    app.radio(key="method").set_value("sample").run()
    app.selectbox(key=LANGUAGE_KEY).set_value(language).run()
    assert not app.exception
    for key in ("source_kind", "photo_source", "method"):
        widget = app.radio(key=key)
        assert sent_choice(widget) in widget.options, (key, sent_choice(widget), widget.options)
    assert (
        sent_choice(app.radio(key="source_kind"))
        == {"ru": "Демонабор", "en": "Demo pack"}[language]
    )
    assert app.radio(key="source_kind").value == "Demo pack"


def test_bad_vist_folder_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("IMGSTORY_VIST_DIR", str(tmp_path))
    app = open_page("explore")
    assert "no sis/{split}.story-in-sequence.json" in texts(app)


@pytest.mark.parametrize("page", ["home", "explore"])
def test_home_and_explorer_do_not_import_tensorflow(tiny_vist, page):
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"app = AppTest.from_file({APP!r}, default_timeout=60)\n"
        "app.run()\n"
        f"if {page!r} != 'home':\n"
        f"    app.switch_page('app_pages/{page}.py'); app.run()\n"
        "assert not app.exception, app.exception\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'pandas' in sys.modules)\n"
    )
    env = {"IMGSTORY_VIST_DIR": str(tiny_vist), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tensorflow, keras, pandas = done.stdout.strip().splitlines()[-1].split()
    assert (tensorflow, keras) == ("False", "False")
    assert pandas == ("False" if page == "home" else "True")  # Home starts without pandas


def test_explorer_search_and_split_filter(on_tiny_data):
    app = open_page("explore")
    assert "**3 albums, 6 stories** match." in texts(app)
    app.text_input[0].set_value("snowman").run()
    assert "**1 album, 2 stories** match." in texts(app)
    assert "We built a snowman ." in texts(app)
    app.multiselect[0].set_value(["train"]).run()
    assert "**2 albums, 4 stories** match." in texts(app)
    app.text_input[0].set_value("no such words here").run()
    assert "No story matches" in texts(app)


def test_explorer_hands_a_sequence_to_generate(on_tiny_data):
    app = open_page("explore")
    app.text_input[0].set_value("snowman").run()
    app.button(key="generate-test20-1").click().run()
    assert app.title[0].value == "Generate a story"
    assert "Photos: story test20-1 (album test20)" in texts(app)


def test_explorer_shows_missing_photos_and_credits(monkeypatch, tiny_vist, tmp_path):
    copy = tmp_path / "vist"
    shutil.copytree(tiny_vist / "sis", copy / "sis")
    shutil.copytree(tiny_vist / "reference", copy / "reference")
    shutil.copytree(tiny_vist / "images", copy / "images")
    first_photo = sorted((copy / "images" / "test").glob("*.jpg"))[0]
    first_photo.unlink()
    monkeypatch.setenv("IMGSTORY_VIST_DIR", str(copy))
    app = open_page("explore")
    app.toggle[0].set_value(False).run()
    album = next(a for a in app.selectbox(key="album").options if a.startswith("test00"))
    app.selectbox(key="album").set_value(album.split()[0]).run()
    shown = texts(app)
    assert f"1 of 5 photos are missing from images/: {first_photo.stem}" in shown
    assert "photo missing" in shown
    assert "2. Flickr photo 1031" in image_captions(app)  # real photos credited by Flickr id
    references = [m.value for m in app.markdown if m.value.startswith("1. ")]
    assert references and references[0].startswith("1. we went to the beach .")


def test_features_page_maps_and_heatmap(on_tiny_data):
    app = open_page("features")
    figures = plotly_figures(app)
    assert len(figures) == 3  # map, similarity heatmap, strongest dimensions
    highlighted = [t for t in figures[0]["data"] if t.get("name") == "selected sequence"]
    assert len(plotly_array(highlighted[0]["x"])) == 5
    assert "PCA of 15 photos (handcrafted features" in figures[0]["layout"]["title"]["text"]
    similarity = plotly_array(figures[1]["data"][0]["z"])
    assert similarity.shape == (5, 5)
    np.testing.assert_allclose(np.diag(similarity), 1.0, atol=1e-3)
    strongest = plotly_array(figures[2]["data"][0]["x"])
    assert len(strongest) == 20 and np.all(np.diff(np.abs(strongest)) <= 1e-6)
    projection = next(r for r in app.radio if r.label == "Projection")
    projection.set_value("t-SNE").run()
    assert not app.exception
    assert (
        "t-SNE of 15 photos"
        in json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    )


def test_compare_page_charts_tables_and_downloads(on_tiny_data):
    app = open_page("compare")
    charts = metric_charts(app)
    assert len(charts) == 6  # 4 metrics of ours + released systems scored here + published METEOR
    assert not app.get("plotly_chart")  # Vega-Lite: Plotly's script made the page ~1 s slower
    wide = app.table[0].value  # a static table: wraps instead of scrolling sideways
    assert list(wide.index) == [
        "★ LSTM, beam (thesis)", "LSTM, greedy", "Random training story (floor)"
    ]  # fmt: skip
    assert wide.loc["★ LSTM, beam (thesis)", "METEOR"] == "0.310 [0.290, 0.330]"
    meteor = charts[0]
    bars = meteor["data"]["values"]
    assert [bar["system"] for bar in bars] == list(wide.index.str.removeprefix("★ "))
    assert (bars[0]["low"], bars[0]["value"], bars[0]["high"]) == pytest.approx(
        (0.29, 0.31, 0.33), abs=5e-4
    )
    assert [layer["mark"]["type"] for layer in meteor["layer"]] == ["bar", "errorbar"]
    assert meteor["title"] == f"METEOR (VIST folder '{on_tiny_data.name}')"
    assert "Data: demo pack" not in texts(app)  # captioned with its own data
    assert len({bar["colour"] for bar in bars}) == 2  # the thesis model set apart
    labels = [b.label for b in app.get("download_button")]
    assert "Download table (CSV)" in labels and "Download table (LaTeX)" in labels


def test_compare_page_rejects_a_bad_results_folder_and_bad_upload(on_tiny_data, tmp_path):
    app = open_page("compare")
    app.text_input[0].set_value(str(tmp_path)).run()
    assert f"{tmp_path / 'summary.json'}: no results summary here" in texts(app)
    old = Path(__file__).parent / "data" / "results_v1" / "summary.json"  # before the schema
    (tmp_path / "summary.json").write_bytes(old.read_bytes())
    app.run()
    assert (
        f"{tmp_path / 'summary.json'}: a results file of an older layout; rewrite it with "
        "`imgstory demo build --out DIR`"
    ) in texts(app)
    app.file_uploader[0].set_value(("preds.json", b"{not json", "application/json")).run()
    next(b for b in app.button if b.label == "Score predictions").click().run()
    assert "preds.json: not valid JSON (line 1, column 2" in texts(app)


def test_compare_scores_uploaded_predictions(on_tiny_data, java):
    app = open_page("compare")
    predictions = json.loads((on_tiny_data / "results/predictions/lstm-beam.json").read_text())
    app.file_uploader[0].set_value(
        ("mine.json", json.dumps(predictions).encode(), "application/json")
    ).run()
    next(b for b in app.button if b.label == "Score predictions").click().run(timeout=120)
    table = app.dataframe[-1].value
    assert list(table.columns) == ["metric", "value", "95% CI low", "95% CI high"]
    assert list(table["metric"])[:3] == ["METEOR", "ROUGE-L", "CIDEr"]  # the thesis's order
    scores = table.set_index("metric")
    assert scores.loc["BLEU-4", "value"] == pytest.approx(1.0)
    assert scores.loc["METEOR", "value"] == pytest.approx(1.0, abs=1e-3)
    assert scores.loc["ROUGE-L", "95% CI low"] <= scores.loc["ROUGE-L", "value"]  # intervals
    assert "3 albums scored" in texts(app)


def test_compare_paired_tests_and_published_panel(on_tiny_data, java):
    app = open_page("compare")
    published = next(f.value for f in app.dataframe if "protocol" in f.value.columns)
    assert {"system", "protocol", "METEOR", "CIDEr"} <= set(published.columns)
    metric_columns = [c for c in published.columns if c in {"METEOR", "ROUGE-L", "CIDEr", "BLEU-4"}]
    assert metric_columns == ["METEOR", "ROUGE-L", "CIDEr", "BLEU-4"]  # the thesis's order
    assert (published["protocol"] != "").all()
    assert any("No Metrics Are Perfect" in m.value for m in app.markdown)  # citations
    figure = next(f for f in metric_charts(app) if "as published" in f["title"])
    assert [layer["mark"]["type"] for layer in figure["layer"]] == ["bar"]  # none published
    assert all(np.isnan(bar["low"] or np.nan) for bar in figure["data"]["values"])
    titles = [f["title"] for f in metric_charts(app)]
    assert "METEOR as published on real VIST (no intervals published)" in titles
    assert not any("VIST folder" in title for title in titles[-1:])  # never mixed with ours
    next(b for b in app.button if b.label == "Run paired bootstrap tests").click().run(timeout=120)
    tests = next(f.value for f in app.dataframe if "system" in f.value.columns)
    tests = tests.set_index(["system", "metric"])
    greedy, floor = "LSTM, greedy", "Random training story (floor)"
    assert tests.loc[(greedy, "METEOR"), "difference"] == pytest.approx(0.0)
    assert tests.loc[(greedy, "METEOR"), "p"] == pytest.approx(1.0)
    assert tests.loc[(floor, "BLEU-4"), "difference"] > 0.5  # own story vs another album's
    assert tests.loc[(floor, "METEOR"), "albums"] == 3


def test_thesis_page_reads_saved_results(on_tiny_data):
    app = open_page("thesis")
    shown = texts(app)
    assert "Beam search vs greedy (LSTM):** LSTM, beam (thesis) scores METEOR 0.310" in shown
    assert "paired bootstrap, p = 1.000, over 3 albums" in shown  # identical stories
    assert f"Data: VIST folder '{on_tiny_data.name}'" in shown
    assert "These numbers come from the **demo pack**" not in shown  # its own results
    assert "We went to the beach." in shown  # generated sentences under their photos
    assert "A human story of these photos: We went to the beach ." in shown


def five_photos() -> list[tuple[str, bytes, str]]:
    colour = THEMES["beach"][0]
    return [(f"p{n}.jpg", jpeg_bytes(scene(colour, n, 0)), "image/jpeg") for n in range(5)]


def choose_tiny_model(app: AppTest) -> AppTest:
    """Select the tiny test model (the demo pack's models, when built, are listed first)."""
    model = app.selectbox(key="model")
    return model.set_value(next(m for m in model.options if m.startswith("tiny-lstm"))).run()


def generate(app: AppTest) -> AppTest:
    button = next(b for b in app.button if b.label == "Generate story")
    assert not button.disabled
    return button.click().run(timeout=180)


def story_sentences(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown if m.value.endswith(".")]


def test_generate_from_uploaded_photos(on_tiny_vist):
    app = open_page("generate", timeout=180)
    app.file_uploader[0].set_value(five_photos()).run()
    assert not app.error
    assert "Photos: your 5 uploaded photos" in texts(app)
    app.radio(key="method").set_value("greedy").run()
    choose_tiny_model(app)
    generate(app)
    assert not app.exception and not app.error
    sentences = story_sentences(app)
    assert sentences[:5] == ["We went to the beach.", "The sand was warm.", "We swam in the sea.",
                             "We ate ice cream.", "The sun went down."]  # fmt: skip
    assert "tiny-lstm (your models" in texts(app) and "greedy" in texts(app)
    downloads = {b.label for b in app.get("download_button")}
    assert downloads == {
        "Download story (text)", "Download story (JSON)", "Download (VIST challenge format)"
    }  # fmt: skip


def test_generate_switching_model_and_decoding(on_tiny_vist):
    app = choose_dataset_sequence(open_page("generate", timeout=180))
    models = app.selectbox(key="model").options
    assert any("tiny-lstm" in m for m in models)
    vist = next(m for m in models if "VIST LSTM" in m)  # reads terms: the album share acts
    app.selectbox(key="model").set_value(vist).run()
    assert not app.slider(key="album_share").disabled
    assert not app.slider(key="copy_weight").disabled  # and copies them
    choose_tiny_model(app)
    assert app.slider(key="album_share").disabled  # no terms: the album share would do nothing
    assert app.slider(key="copy_weight").disabled  # nor the copy weight
    app.radio(key="method").set_value("beam").run()
    app.slider(key="beam_size").set_value(2).run()
    app.slider(key="end_penalty").set_value(1.5).run()
    assert app.slider(key="sentence_length").value == 0.0  # off by default (docs/model.md)
    app.slider(key="sentence_length").set_value(8.0).run()
    generate(app)
    assert (
        "beam (beam_size=2, length_penalty=0.0, no_repeat_ngram_size=3, repeat_penalty=1.0, "
        "end_penalty=1.5, sentence_length=8.0)" in texts(app)
    )
    app.radio(key="method").set_value("sample").run()
    app.slider(key="temperature").set_value(0.5).run()
    app.toggle(key="fix_seed").set_value(True).run()
    generate(app)
    assert (
        "sample (temperature=0.5, top_k=0, top_p=0.9, seed=0, no_repeat_ngram_size=3, "
        "repeat_penalty=1.0, end_penalty=1.5, sentence_length=8.0)" in texts(app)
    )
    app.toggle(key="compare").set_value(True).run()
    tiny = next(m for m in models if m.startswith("tiny-lstm"))
    next(m for m in app.multiselect if m.label == "Models").set_value([tiny]).run()
    generate(app)
    cards = [m.value for m in app.markdown]
    assert f"**{tiny}** · greedy (no-repeat 3, repeat_penalty=1.0, end_penalty=1.0)" in cards
    assert (
        f"**{tiny}** · beam (beam_size=3, length_penalty=0.0, no_repeat_ngram_size=3, "
        "repeat_penalty=1.0, end_penalty=1.0)" in cards
    )
    assert any(card.startswith("1. We went to the beach.\n2. The sand was warm.") for card in cards)


def test_compare_mode_starts_on_the_models_made_for_real_photos(on_tiny_vist):
    """Compare mode on uploaded photos preselects every model but the demo pack's (drawn
    scenes); choosing one of those shows the same warning as single-model mode."""
    from imgstory.app import models

    app = open_page("generate", timeout=180)
    app.file_uploader[0].set_value(five_photos()).run()
    app.toggle(key="compare").set_value(True).run()
    choices = models.discover_models()
    chosen = app.multiselect(key="compare_models").value
    assert chosen == [c.label for c in choices if not c.is_demo]
    assert any(label.startswith("tiny-lstm") for label in chosen)
    assert not app.warning
    demo = [c.label for c in choices if c.is_demo]
    if demo:  # the demo pack ships its models; the warning names what they learned from
        app.multiselect(key="compare_models").set_value([*chosen, demo[0]]).run()
        assert any("learned from drawn scenes" in w.value for w in app.warning)


def choose_dataset_sequence(app: AppTest) -> AppTest:
    """Ask for a dataset sequence instead of uploads (the page never falls back on its own)."""
    return app.radio(key="photo_source").set_value(photo_inputs.DATASET).run()


def test_generate_dataset_sequence_shows_references_and_scores(on_tiny_vist, java):
    app = choose_dataset_sequence(open_page("generate", timeout=180))
    assert "story test00-0 (album test00)" in texts(app)
    choose_tiny_model(app)
    generate(app)
    shown = texts(app)
    assert "Reference stories of album test00" in shown
    scores = next(d.value for d in app.dataframe if "METEOR" in set(d.value.get("metric", [])))
    protocol = scores.set_index("metric")["score"]
    assert 0 < protocol["METEOR"] <= 1 and protocol["ROUGE-L"] == pytest.approx(1.0)
    assert protocol["BLEU-1"] == pytest.approx(1.0)  # the tiny model retells the story
    assert not any("WordNet" in c.value for c in app.caption)  # not repeated on every story
    assert "Other implementations (not protocol numbers):" in texts(app)


def shows_a_story(app: AppTest) -> bool:
    """Whether the page shows a generated story (its heading, its references or its caption)."""
    shown = texts(app)
    return (
        any(h.value == "The story" for h in app.subheader)
        or "Reference stories of album" in shown
        or " · photos: " in shown
    )


def sequence_picker(app: AppTest):
    return next(s for s in app.selectbox if s.label == "Sequence from the dataset")


def other_sequence(app: AppTest, story_id: str) -> str:
    """A story id of the picker whose photos differ from ``story_id``'s."""
    ids = [re.match(r"story (\S+?):", label).group(1) for label in sequence_picker(app).options]
    return next(other for other in ids if other.split("-")[0] != story_id.split("-")[0])


def test_generate_never_shows_a_story_of_other_inputs(on_tiny_vist, java):
    """Another sequence, other uploads, or no photo at all: the earlier story (with its photos,
    references and scores) is gone; the same inputs again bring it back."""
    app = choose_dataset_sequence(open_page("generate", timeout=180))
    choose_tiny_model(app)
    generate(app)
    assert shows_a_story(app) and "Reference stories of album test00" in texts(app)
    first = sequence_picker(app).value
    sequence_picker(app).set_value(other_sequence(app, first)).run()
    assert not shows_a_story(app)
    sequence_picker(app).set_value(first).run()
    assert shows_a_story(app)  # same photos, same order: the story written for them
    app.text_input(key="order").set_value("5 4 3 2 1").run()
    assert not shows_a_story(app)  # another order is other inputs
    app.radio(key="photo_source").set_value(photo_inputs.UPLOAD).run()
    app.file_uploader[0].set_value(five_photos()).run()
    assert not shows_a_story(app) and "Photos: your 5 uploaded photos" in texts(app)
    app.text_input(key="order").set_value("").run()
    generate(app)
    assert "photos: your 5 uploaded photos" in texts(app)
    app.file_uploader[0].set_value(five_photos()[:1]).run()
    assert not shows_a_story(app) and "Photos: your 1 uploaded photo," in texts(app)
    app.file_uploader[0].set_value([]).run()
    assert not shows_a_story(app)


def test_only_pages_about_to_score_warm_meteor(on_tiny_vist, monkeypatch):
    """Model comparison warms two jars; Generate one once a dataset sequence with reference
    stories is chosen (uploads have none: never scored); Thesis and the others none; with
    IMGSTORY_METEOR_WARM_UP=0 none at all (the suite's default, see conftest.py)."""
    from imgstory.app import scorer_warmup
    from imgstory.eval import meteor

    wanted = []
    monkeypatch.setattr(meteor, "warm_up", lambda processes=1: wanted.append(processes))

    def warmed(page: str, dataset: bool = False) -> list[int]:
        scorer_warmup.meteor_started.clear()
        wanted.clear()
        app = open_page(page)
        if dataset:
            choose_dataset_sequence(app)
        return list(wanted)

    monkeypatch.setenv(scorer_warmup.METEOR_WARM_UP_ENV, "1")
    assert warmed("compare") == [min(2, meteor.useful_processes())]
    assert warmed("generate") == []  # the default input: the user's own photos
    assert warmed("generate", dataset=True) == [1]
    assert [warmed(page) for page in ("home", "explore", "features", "thesis")] == [[]] * 4
    monkeypatch.setenv(scorer_warmup.METEOR_WARM_UP_ENV, "0")
    assert warmed("compare") == warmed("generate", dataset=True) == []
    scorer_warmup.meteor_started.clear()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("photo.jpg", b"GIF89a truncated", "image/jpeg")], "cannot read photo photo.jpg"),
        ([("notes.txt", b"hello", "text/plain")], "notes.txt: .txt files are not photos"),
        (
            [("broken.jpg", b"\xff\xd8\xff\xe0 not a jpeg", "image/jpeg")],
            "cannot read photo broken.jpg",
        ),
        ([("empty.png", b"", "image/png")], "empty.png: the file is empty"),
    ],
)
def test_generate_rejects_bad_uploads(on_tiny_vist, files, message):
    app = open_page("generate", timeout=180)
    app.file_uploader[0].set_value(files).run()
    assert any(message in e.value for e in app.error), [e.value for e in app.error]
    assert not app.exception


def test_generate_refuses_eleven_photos(on_tiny_vist):
    app = open_page("generate", timeout=180)
    colour = THEMES["party"][0]
    photos = [(f"p{n}.jpg", jpeg_bytes(scene(colour, n % 5, 0)), "image/jpeg") for n in range(11)]
    app.file_uploader[0].set_value(photos).run()
    assert any("11 photos uploaded" in e.value and "remove 1" in e.value for e in app.error)
    assert next(b for b in app.button if b.label == "Generate story").disabled


def test_generate_bad_order_is_reported_and_blocks_generate(on_tiny_vist):
    app = choose_dataset_sequence(open_page("generate", timeout=180))
    app.text_input(key="order").set_value("1 2 2 4 5").run()
    assert any("list each of the 5 photos once (missing 3)" in e.value for e in app.error)
    assert next(b for b in app.button if b.label == "Generate story").disabled
    assert any("Generate is off: the photo order is invalid" in i.value for i in app.info)
    app.text_input(key="order").set_value("5 4 3 2 1").run()
    assert not next(b for b in app.button if b.label == "Generate story").disabled


def test_generate_never_falls_back_to_the_dataset_when_no_upload_arrived(on_tiny_vist):
    app = open_page("generate", timeout=180)  # "My photos" first; nothing accepted yet
    assert app.radio(key="photo_source").value == photo_inputs.UPLOAD
    assert "Photos: story" not in texts(app)
    assert next(b for b in app.button if b.label == "Generate story").disabled
    assert any("refused by the uploader itself" in i.value for i in app.info)
    assert "A file marked in red above" not in texts(app)  # nothing uploaded: said once, above
    app.file_uploader[0].set_value(five_photos()[:2]).run()
    assert "A file marked in red above was refused" in texts(app)  # beside accepted photos


@pytest.fixture
def on_demo_pack(monkeypatch):
    """The app as shipped: the demo pack and its models (skips while the pack is not built)."""
    monkeypatch.delenv("IMGSTORY_VIST_DIR", raising=False)
    monkeypatch.delenv("IMGSTORY_MODELS_DIR", raising=False)
    from imgstory.app.models import discover_models
    from imgstory.app.sources import demo_source

    try:
        source = demo_source()
    except UserInputError as error:
        pytest.skip(str(error))
    if not discover_models() or not (source.root / "results" / "summary.json").is_file():
        pytest.skip("the demo pack has no models or results yet: run `imgstory demo build`")
    return source


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_shipped_demo_pack(on_demo_pack, page):
    app = open_page(page, timeout=180)
    shown = texts(app)
    assert "not real VIST" in shown
    assert not app.error


def test_demo_lstm_tells_a_story_for_demo_photos(on_demo_pack):
    app = open_page("generate", timeout=180)
    photos = sorted((on_demo_pack.images_dir / "test").glob("*.jpg"))[:5]
    app.file_uploader[0].set_value([(p.name, p.read_bytes(), "image/jpeg") for p in photos]).run()
    model = app.selectbox(key="model")
    assert model.value.startswith("VIST LSTM")  # uploads get the real-photo model by default
    assert not any("drawn scenes" in w.value for w in app.warning)
    model.set_value(next(m for m in model.options if m.startswith("LSTM (demo pack"))).run()
    assert any("learned from the demo pack's drawn scenes" in w.value for w in app.warning)
    generate(app)
    assert not app.error and not app.exception
    strip = [m.value for m in app.markdown][-5:]
    assert len(strip) == 5 and all(len(sentence.split()) >= 3 for sentence in strip)


def test_feature_plots_show_what_imagenet_sees_in_uploaded_photos(on_demo_pack):
    from imgstory import pretrained

    for name in ("efficientnet-lite0", "glove-6b-50d", "imagenet-classes"):
        if pretrained.installed_path(pretrained.pretrained_file(name)) is None:
            pytest.skip(f"{name} not installed (`make setup` installs it)")
    inputs = Path(__file__).resolve().parent / "data" / "efficientnet_inputs"
    app = open_page("features", timeout=180)
    photos = [(p.name, p.read_bytes(), "image/png") for p in sorted(inputs.glob("*.png"))]
    app.file_uploader(key="feature_photos").set_value(photos).run()
    assert not app.exception and not app.error
    figures = plotly_figures(app)
    maps = [f for f in figures if "your 3 photos" in str(f["layout"]["title"])]
    assert len(maps) == 1
    hover = [t.get("customdata") for t in maps[0]["data"] if t.get("customdata") is not None]
    assert len(hover) == 3 and all("%" in str(h) for h in hover)
    lines = [m.value for m in app.markdown if m.value.startswith("- **")]
    assert [line.split("**")[1] for line in lines] == [name for name, _, _ in photos]


def test_compare_shows_real_photo_results_apart(on_demo_pack):
    from imgstory.app.real_photos import load_real_photo_results

    report = load_real_photo_results()
    if report is None:
        pytest.skip("assets/results/vist_real_photos.json not computed (`make vist-models`)")
    app = open_page("compare", timeout=180)
    shown = texts(app)
    assert f"({len(report.albums)} albums)" in shown and "VIST test split" in shown
    assert any("VIST LSTM" in m.value for m in app.markdown)


@pytest.fixture
def on_real_vist_folder(monkeypatch, vist_dir, tmp_path):
    """The issue's VIST folder: the shared test SIS file and its 60 photos as images/test/
    (symlinks, nothing copied), without results of its own."""
    folder = tmp_path / "vist"
    (folder / "sis").mkdir(parents=True)
    (folder / "sis" / "test.story-in-sequence.json").symlink_to(
        vist_dir / "sis" / "test.story-in-sequence.json"
    )
    (folder / "images" / "test").mkdir(parents=True)
    for photo in (vist_dir / "photos").glob("*.jpg"):
        (folder / "images" / "test" / photo.name).symlink_to(photo)
    monkeypatch.setenv("IMGSTORY_VIST_DIR", str(folder))
    monkeypatch.delenv("IMGSTORY_MODELS_DIR", raising=False)
    return folder


@pytest.mark.real_data
def test_thesis_on_a_real_vist_folder_labels_demo_numbers_and_shows_real_examples(
    on_real_vist_folder,
):
    from imgstory.app.real_photos import load_real_photo_results

    if load_real_photo_results() is None:
        pytest.skip("assets/results/vist_real_photos.json not computed (`make vist-models`)")
    app = open_page("thesis", timeout=180)
    shown = texts(app)
    assert "The VIST folder 'vist' has no results/ folder of its own" in shown
    assert "Data: demo pack (generated scenes in VIST format, not real VIST)" in shown
    assert "These numbers come from the **demo pack**" in shown
    assert "Data: VIST folder 'vist'" not in shown  # no number under the wrong name
    assert "Stories written by the VIST LSTM, greedy, the default decoding (thesis model)" in shown
    assert len([h for h in app.subheader if h.value.startswith("Album ")]) == 3
    headers = [h.value for h in app.header]  # real photos first, the demo pack after, labelled
    headline = headers.index("Headline: the thesis model on real VIST photos")
    assert headline < headers.index("Drawn scenes: the demo pack (not real VIST)")
    assert "The thesis's claims on real photos" in [h.value for h in app.subheader]
    assert "**Beam search vs greedy.** The thesis:" in shown and "n = 12:" in shown
    assert "The VIST models never saw a photo in training" in shown
    (diagram,) = app.get("graphviz_chart")
    assert "EfficientNet-Lite0 → ImageNet class-name terms" in diagram.proto.spec
    assert "Xception" not in diagram.proto.spec
    assert sum("Flickr photo" in caption for caption in image_captions(app)) == 15


@pytest.mark.real_data
def test_compare_pairs_real_photo_systems_on_their_albums(on_real_vist_folder, java):
    from imgstory.app.naming import column_name
    from imgstory.app.real_photos import load_real_photo_results
    from imgstory.eval.comparison import COMPARISON_COLUMNS

    report = load_real_photo_results()
    if report is None:
        pytest.skip("assets/results/vist_real_photos.json not computed (`make vist-models`)")
    app = open_page("compare", timeout=180)
    group = app.radio(key="paired_group")
    assert group.value == "real" and "local" not in group.options  # no demo-pack pairs here
    first, second = app.selectbox(key="paired_a_real"), app.selectbox(key="paired_b_real")
    assert first.value == f"real photos: {report.thesis}"
    assert not any("human" in option for option in first.options)
    next(b for b in app.button if b.label == "Compare A and B").click().run(timeout=180)
    assert not app.exception and not app.error
    shown_columns = [column_name(column) for column in COMPARISON_COLUMNS]  # A, B, p, ...
    table = next(f.value for f in app.dataframe if list(f.value.columns) == shown_columns)
    assert set(table["albums"]) == {len(report.albums)}  # every album of the file
    meteor = table.set_index("metric").loc["METEOR"]
    assert meteor["difference"] == pytest.approx(meteor["A"] - meteor["B"])
    stored = report.systems[second.value.removeprefix("real photos: ")].versus_thesis
    assert meteor["difference"] == pytest.approx(stored["METEOR"].difference, abs=0.02)


@pytest.mark.parametrize("page", [*PAGES, "human"])
@pytest.mark.parametrize("data", ["tiny VIST folder", "demo pack"])
def test_no_raw_key_in_any_table_or_chart(monkeypatch, tiny_vist, java, data, page):
    """Tables and charts name systems, metrics and columns as readers know them: never a
    scorer's key (Bleu_4, ROUGE_L), a column key (value_a, p_value, ci_low) or a file's
    system key (lstm-beam). Model comparison with its paired tests run."""
    if data == "demo pack":
        monkeypatch.delenv("IMGSTORY_VIST_DIR", raising=False)
    else:
        monkeypatch.setenv("IMGSTORY_VIST_DIR", str(tiny_vist))
    monkeypatch.delenv("IMGSTORY_MODELS_DIR", raising=False)
    app = open_page(page, timeout=180)
    shown = raw_keys_shown(app)
    if page == "compare":
        next(b for b in app.button if b.label == "Run paired bootstrap tests").click()
        app.run(timeout=180)
        shown += raw_keys_shown(app)
    assert shown == [], shown
