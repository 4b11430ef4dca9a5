"""The cut paraphrase table: only pairs whose phrases both occur, and unchanged METEOR."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from imgstory.eval import meteor
from imgstory.eval.paraphrase import cut_table, text_phrases

TABLE = b"0.1\n000\nthousand\n0.2\nbig car\nlarge car\n0.3\nhello\nhi\n"


def test_text_phrases_are_runs_of_consecutive_words():
    assert text_phrases(["a b c"], 2) == {b"a", b"b", b"c", b"a b", b"b c"}


def test_cut_keeps_only_pairs_whose_two_phrases_occur(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGSTORY_CACHE_DIR", str(tmp_path / "cache"))
    table = tmp_path / "paraphrase-en.gz"
    table.write_bytes(gzip.compress(TABLE))
    kept = cut_table(table, ["a big car and a large car", "Hello there"], tmp_path / "cut.gz")
    assert kept == 1  # "hi" and "thousand" occur nowhere; "hello" only lower-cased from "Hello"
    assert gzip.decompress((tmp_path / "cut.gz").read_bytes()) == b"0.2\nbig car\nlarge car\n"


def test_meteor_on_a_cut_table_equals_the_full_table(java, tmp_path):
    hypotheses = ["they paid 000 dollars for the big car", "the dog ran home"]
    references = [["they paid thousand dollars for the large car"], ["a dog runs home"]]
    table = tmp_path / "paraphrase-en.gz"
    texts = [*hypotheses, *(text for refs in references for text in refs)]
    kept = cut_table(meteor.jar_directory() / "data" / "paraphrase-en.gz", texts, table)
    assert 0 < kept < 1000
    cut_pool = meteor.MeteorPool(paraphrase_table=table)
    try:
        on_cut = cut_pool.score(hypotheses, references)
    finally:
        cut_pool.close()
    on_full = meteor.shared_meteor().score(hypotheses, references)
    paraphrase_matches = on_full.statistics[0, 4 + 4 * 3]  # stage 4 (paraphrase), test content
    assert paraphrase_matches > 0  # the example does exercise the paraphrase table
    assert np.array_equal(on_cut.statistics, on_full.statistics)
    assert on_cut.score == pytest.approx(on_full.score, abs=0)
