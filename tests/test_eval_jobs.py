"""How a scoring job runs: cached reference statistics, jars sharing a job, honest progress."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from imgstory.eval import arel, meteor, reference_statistics
from imgstory.eval.arel import ScoringProgress, evaluate_arel
from imgstory.eval.paraphrase import TABLE_NAME, cut_table

REFERENCES = {
    "a1": ["the bride and groom were happy .", "the wedding was beautiful ."],
    "a2": ["we went to the beach .", "the sea was calm and blue ."],
    "a3": ["the team won the game .", "the fans cheered loudly ."],
}
PREDICTIONS = {"a1": "the bride was happy .", "a2": "we went to the sea .", "a3": "we won ."}
STORIES = [
    "the bride and groom were happy .",
    "a cat sat on a mat .",
    "we went to the beach and the sea was blue .",
    "the team won the game and the fans cheered .",
    "dogs run",
    "the wedding was beautiful .",
    "the family had a picnic in the park .",
]


def test_scoring_the_same_references_again_reuses_their_statistics():
    reference_statistics.clear_cache()
    first = evaluate_arel(REFERENCES, PREDICTIONS, meteor=False)
    album_references = [REFERENCES[album] for album in REFERENCES]
    prepared = reference_statistics.reference_statistics(album_references)
    copied = [list(stories) for stories in album_references]  # equal texts, other objects
    assert reference_statistics.reference_statistics(copied) is prepared
    second = evaluate_arel(REFERENCES, PREDICTIONS, meteor=False)
    assert second.scores == first.scores  # bit-identical, not approximately
    assert second.per_album.equals(first.per_album)
    reference_statistics.clear_cache()
    fresh = evaluate_arel(REFERENCES, PREDICTIONS, meteor=False)
    assert fresh.scores == first.scores


def test_changed_references_or_another_album_set_miss_the_cache():
    reference_statistics.clear_cache()
    album_references = [REFERENCES[album] for album in REFERENCES]
    prepared = reference_statistics.reference_statistics(album_references)
    changed = [list(stories) for stories in album_references]
    changed[1][0] = "we went to the sea today ."
    assert reference_statistics.reference_statistics(changed) is not prepared
    # fewer albums: CIDEr's IDF differs, so the statistics must too
    assert reference_statistics.reference_statistics(album_references[:2]) is not prepared
    # texts split differently are different references
    assert reference_statistics.reference_digest([["a b", "c"]]) != (
        reference_statistics.reference_digest([["a", "b c"]])
    )
    edited = {**REFERENCES, "a2": changed[1]}
    scored = evaluate_arel(edited, PREDICTIONS, meteor=False)
    reference_statistics.clear_cache()
    assert evaluate_arel(edited, PREDICTIONS, meteor=False).scores == scored.scores
    assert scored.scores != evaluate_arel(REFERENCES, PREDICTIONS, meteor=False).scores


def test_the_cache_keeps_only_the_most_recent_reference_sets():
    reference_statistics.clear_cache()
    sets = [[[f"story {index} ."]] for index in range(reference_statistics.CACHED_SETS + 1)]
    first = reference_statistics.reference_statistics(sets[0])
    for references in sets[1:]:
        reference_statistics.reference_statistics(references)
    assert reference_statistics.reference_statistics(sets[0]) is not first


def test_progress_is_reported_on_the_calling_thread_and_ends_complete(java):
    steps: list[tuple[ScoringProgress, int]] = []
    result = evaluate_arel(
        REFERENCES, PREDICTIONS, progress=lambda step: steps.append((step, threading.get_ident()))
    )
    assert {thread for _, thread in steps} == {threading.get_ident()}
    assert steps[-1][0] == ScoringProgress(3, 3, 3) and steps[-1][0].fraction == 1.0
    fractions = [step.fraction for step, _ in steps]
    assert fractions == sorted(fractions)
    assert "METEOR" in result.scores


def test_progress_without_java_says_meteor_is_not_computed(monkeypatch):
    monkeypatch.setattr(meteor, "find_java", lambda: None)
    steps: list[ScoringProgress] = []
    evaluate_arel(REFERENCES, PREDICTIONS, progress=steps.append)
    assert steps and all(step.meteor_scored is None for step in steps)
    assert steps[-1] == ScoringProgress(3, 3, None)


def test_progress_fraction_is_that_of_the_scorer_furthest_behind():
    assert ScoringProgress(10, 10, 4).fraction == 0.4
    assert ScoringProgress(10, 3, 8).fraction == 0.3
    assert ScoringProgress(10, 5, None).fraction == 0.5


@pytest.fixture(scope="module")
def cut_table_file(tmp_path_factory):
    """METEOR's paraphrase table cut to the texts of this file (cut once: ~5 s)."""
    folder = tmp_path_factory.mktemp("meteor")
    table = folder / TABLE_NAME
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IMGSTORY_CACHE_DIR", str(folder / "cache"))
        texts = STORIES + [text for stories in REFERENCES.values() for text in stories]
        cut_table(
            meteor.jar_directory() / "data" / TABLE_NAME, texts + list(PREDICTIONS.values()), table
        )
    return table


@pytest.fixture
def cut_pool(cut_table_file):
    """A pool of jars on :func:`cut_table_file` (each starts in under a second)."""
    pool = meteor.MeteorPool(paraphrase_table=cut_table_file)
    yield pool
    pool.close()


def test_jars_sharing_a_job_chunk_by_chunk_give_the_same_statistics(java, cut_pool, monkeypatch):
    hypotheses = STORIES
    references = [[STORIES[(index + 1) % len(STORIES)], "the day was fun ."] for index in range(7)]
    cut_pool.start(1)
    alone = cut_pool.score(hypotheses, references, processes=1)
    monkeypatch.setattr(meteor, "SEGMENTS_PER_CHUNK", 2)
    cut_pool.start(2)
    scored: list[int] = []
    shared = cut_pool.score(hypotheses, references, processes=2, on_scored=scored.append)
    assert cut_pool.warm == 2
    assert shared.score == alone.score and shared.segments == alone.segments
    assert np.array_equal(shared.statistics, alone.statistics)
    assert sorted(scored) == [1, 2, 2, 2]  # every chunk reported once, by its size


def test_closing_a_pool_stops_its_jars_removes_its_cut_table_and_refuses_more(java):
    """`close()` is public and final: jars stopped, the pool's own cut table removed, and
    scoring afterwards fails with a message saying why (a job turns it into a warning)."""
    hypotheses = list(PREDICTIONS.values())
    references = [REFERENCES[album] for album in PREDICTIONS]
    with meteor.MeteorPool.for_texts(hypotheses, references) as pool:
        table = pool._paraphrase_table
        assert table.is_file() and not pool.closed
        scored = pool.score(hypotheses, references)
        assert pool.warm == 1
    assert pool.closed and pool.warm == 0 and not table.parent.exists()
    pool.close()  # again: nothing to do
    with pytest.raises(meteor.MeteorUnavailable, match="pool was closed"):
        pool.score(hypotheses, references)
    assert pool.warm == 0  # no jar was started for the refused job
    result = evaluate_arel(REFERENCES, PREDICTIONS, meteor_pool=pool)
    assert "METEOR" not in result.scores and result.scores["CIDEr"] > 0
    assert result.warnings == [
        "METEOR not computed: this METEOR pool was closed and starts no jar: score with "
        "another pool"
    ]
    assert 0 < scored.score < 1


def test_a_jar_still_loading_does_not_hold_back_a_job(java, cut_pool, tmp_path):
    """A jar that has not loaded its table yet takes no share of the job: the ready jar scores
    it all (before, the job was split in halves and waited for the slow jar's half)."""
    slow = tmp_path / "slow" / "java"
    slow.parent.mkdir()
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    cut_pool.start(1)
    cut_pool._jars[0].statistics(["a"], [["a"]])  # loaded
    loading = meteor.MeteorJar(java=str(slow))
    cut_pool._jars.append(loading)
    start = time.perf_counter()
    result = cut_pool.score(STORIES, [[story] for story in STORIES], processes=2)
    assert time.perf_counter() - start < 10
    assert result.segments == [1.0] * len(STORIES)
    assert not loading.ready


def test_warm_up_starts_a_second_jar_only_once_the_first_has_loaded(tmp_path, monkeypatch):
    """Two full tables loading at once would take both cores of a 2-core machine for ~8 s."""
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    # loads for 1 s, then answers every request with a statistics line
    line = " ".join(["1.0"] * meteor.STATISTICS_WIDTH)
    fake.write_text(f"#!/bin/sh\nsleep 1\nwhile read request; do echo '{line}'; done\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setattr(meteor, "_SHARED_POOL", None)
    assert meteor.warm_up(2) is None
    pool = meteor.shared_meteor()
    try:
        time.sleep(0.5)
        assert pool.warm == 1 and not pool._jars[0].ready
        deadline = time.monotonic() + 20
        while pool.warm < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.warm == 2 and pool._jars[0].ready
    finally:
        pool.close()


def test_the_arel_job_scores_ngrams_on_a_thread_beside_warm_jars(java, cut_pool, monkeypatch):
    """With warm jars this process has nothing else to do: no second process is spawned."""
    cut_pool.start(1)
    monkeypatch.setattr(arel, "shared_meteor", lambda: cut_pool)
    monkeypatch.setattr(meteor, "shared_meteor", lambda: cut_pool)
    spawned = []
    monkeypatch.setattr(arel, "_start_ngram_process", lambda *args: spawned.append(args))
    evaluate_arel(REFERENCES, PREDICTIONS)
    assert spawned == []


def test_systems_sharing_one_pool_score_as_each_alone(java, monkeypatch):
    """`corpus_jars` + `meteor_pool` (the demo build's and the app's paired tests' scoring): one
    start-up for every system, the same scores and per-album values as scoring each system with
    jars of its own."""
    monkeypatch.setattr(meteor, "_SHARED_POOL", meteor.MeteorPool())  # none warm here
    systems = {
        "ours": PREDICTIONS,
        "other": {"a1": "a cat sat .", "a2": "dogs run", "a3": "we won"},
    }
    alone = evaluate_arel(REFERENCES, systems["other"])  # jars of its own
    with meteor.corpus_jars(REFERENCES, systems) as jars:
        assert jars is not None and jars.warm == 1
        shared = {
            name: evaluate_arel(REFERENCES, stories, meteor_pool=jars)
            for name, stories in systems.items()
        }
        assert jars.warm == 1  # the jobs left it running
    assert jars.warm == 0  # closed on leaving
    assert shared["other"].scores == alone.scores and "METEOR" in alone.scores
    assert shared["other"].per_album.equals(alone.per_album)
    assert shared["ours"].scores != shared["other"].scores  # (the demo build's test of its
    # summary against `imgstory evaluate` checks the same for every metric of a whole pack)


def test_the_apps_paired_tests_start_one_jar_for_every_system(java, monkeypatch):
    """Thesis and Model comparison re-score a results folder's systems for their paired tests:
    one METEOR jar for them all (it was one per system)."""
    from imgstory.app import scoring

    monkeypatch.setattr(meteor, "_SHARED_POOL", meteor.MeteorPool())  # none warm here
    started = []

    class CountedJar(meteor.MeteorJar):
        def __init__(self, *args, **kwargs):
            started.append(kwargs.get("paraphrase_table"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(meteor, "MeteorJar", CountedJar)
    systems = {
        "lstm-beam": PREDICTIONS,
        "gru-beam": {"a1": "the wedding was happy .", "a2": "the sea .", "a3": "the fans won ."},
        "random": {"a1": "a cat sat .", "a2": "dogs run", "a3": "we won"},
    }
    table = scoring.paired_tests(systems, REFERENCES, "lstm-beam")
    assert len(started) == 1 and started[0] is not None  # one jar, on a cut table
    meteor_rows = table[table["metric"] == "METEOR"].set_index("key")
    assert sorted(meteor_rows.index) == ["gru-beam", "random"]
    # the same values as each system scored alone: see the test above (one more jar here would
    # only repeat it); here the three systems' METEOR differ and the baseline's is one value
    values = [meteor_rows.loc["gru-beam", "value_b"], meteor_rows.loc["random", "value_b"]]
    assert len({*values, meteor_rows.loc["gru-beam", "value_a"]}) == 3
    assert meteor_rows["value_a"].nunique() == 1 and all(0 < v < 1 for v in values)
