"""The thesis's claims read from a real-photo comparison: rows found by what they are, verdicts
computed from the paired tests (synthetic results where GRU wins, where nothing is significant,
where LSTM wins), the architecture drawn for the model shown, and the paired picker's groups."""

from __future__ import annotations

import dataclasses

import pytest

from imgstory.app import published_view, real_photos, thesis_view
from imgstory.eval.claims import (
    MIXED,
    NOT_SIGNIFICANT,
    OTHER_AHEAD,
    THESIS_AHEAD,
    arel_row,
    greedy_row,
    gru_row,
    thesis_claims,
)
from imgstory.eval.identification import Identification
from imgstory.eval.report import (
    Interval,
    PairedTest,
    RealPhotoReport,
    StoryQuality,
    SystemReport,
)
from imgstory.viz.architecture import architecture_dot

ALBUMS = tuple(f"album{n}" for n in range(12))
THESIS = "vist-lstm"
GREEDY = "vist-lstm greedy"
GRU = "vist-gru"
PLAIN = "vist-lstm-plain"
AREL = "AREL (IRL-init-iter100 released outputs)"
BEAM = {"method": "beam", "beam_size": 3}
TERMS = "terms sha256:0123"


def _row(kind, scores, versus=None, model="") -> SystemReport:
    """A row with METEOR, ROUGE-L, CIDEr values and its paired tests ``{metric: (difference,
    p)}`` (thesis minus this row, on the 12 albums)."""
    metrics = ("METEOR", "ROUGE_L", "CIDEr")
    tests = {
        metric: PairedTest(difference, difference - 0.02, difference + 0.02, p_value, 12)
        for metric, (difference, p_value) in (versus or {}).items()
    }
    return SystemReport(
        kind=kind,
        scores={m: Interval(v, v - 0.03, v + 0.03) for m, v in zip(metrics, scores, strict=True)},
        identification=Identification(ALBUMS, (1,) * 12),
        quality=StoryQuality(None, None, None, 0, 12),
        naming=None,
        stories=dict.fromkeys(ALBUMS, "we went out ."),
        versus_thesis=tests,
        model=model,
    )


def _report(gru_versus, gru_scores, cell_of_gru="gru") -> RealPhotoReport:
    """The thesis LSTM, its greedy row (no difference), the plain LSTM, a GRU row and AREL (far
    ahead)."""
    thesis_scores = (0.330, 0.270, 0.030)
    systems = {
        THESIS: _row("model", thesis_scores, model="vist-lstm"),
        GREEDY: _row(
            "model",
            (0.320, 0.280, 0.031),
            {"METEOR": (0.010, 0.30), "ROUGE_L": (-0.010, 0.45), "CIDEr": (-0.001, 0.90)},
            model="vist-lstm",
        ),
        PLAIN: _row("model", (0.3, 0.25, 0.02), {"METEOR": (0.03, 0.01)}, model="vist-lstm-plain"),
        GRU: _row("model", gru_scores, gru_versus, model="vist-gru"),
        AREL: _row(
            "released",
            (0.368, 0.311, 0.139),
            {"METEOR": (-0.038, 0.02), "ROUGE_L": (-0.041, 0.002), "CIDEr": (-0.109, 0.005)},
        ),
    }
    return RealPhotoReport(
        data="VIST test split: 12 albums",
        albums=ALBUMS,
        protocol="AREL",
        training_text="VIST text",
        floor_text="VIST text",
        thesis=THESIS,
        systems=systems,
        models={
            "vist-lstm": {"cell": "lstm", "encoder": TERMS},
            "vist-lstm-plain": {"cell": "lstm", "encoder": TERMS},
            "vist-gru": {"cell": cell_of_gru, "encoder": TERMS},
        },
        decoding={THESIS: BEAM, GREEDY: {**BEAM, "method": "greedy"}, PLAIN: BEAM, GRU: BEAM},
    )


GRU_WINS = (
    {"METEOR": (-0.030, 0.004), "ROUGE_L": (-0.020, 0.03), "CIDEr": (-0.004, 0.41)},
    (0.360, 0.290, 0.034),
)
NOT_SIGNIFICANT_GRU = (
    {"METEOR": (0.020, 0.087), "ROUGE_L": (-0.008, 0.645), "CIDEr": (0.006, 0.492)},
    (0.310, 0.278, 0.024),
)
LSTM_WINS = (
    {"METEOR": (0.040, 0.001), "ROUGE_L": (0.030, 0.01), "CIDEr": (0.002, 0.6)},
    (0.290, 0.240, 0.028),
)


def _claims(report) -> dict:
    return {finding.key: finding for finding in thesis_claims(report)}


def test_rows_are_found_by_cell_decoding_and_release_not_by_name():
    report = _report(*NOT_SIGNIFICANT_GRU)
    assert (gru_row(report), greedy_row(report), arel_row(report)) == (GRU, GREEDY, AREL)
    # a greedy thesis row (the shipped default) is compared with beam search of the same model
    flipped = _report(*NOT_SIGNIFICANT_GRU)
    decoding = dict(flipped.decoding)
    decoding[THESIS], decoding[GREEDY] = {"method": "greedy"}, BEAM
    flipped = dataclasses.replace(flipped, decoding=decoding)
    assert greedy_row(flipped) == GREEDY and gru_row(flipped) is None  # GRU: another method
    assert gru_row(_report(*NOT_SIGNIFICANT_GRU, cell_of_gru="lstm")) is None  # no GRU: no claim
    assert list(_claims(_report(*NOT_SIGNIFICANT_GRU, cell_of_gru="lstm"))) == ["greedy", "arel"]


#: The LSTM vs GRU verdict of each set of results: its outcome, whether the claim holds, and
#: lines of its text.
GRU_VERDICTS = {
    "GRU wins": (GRU_WINS, OTHER_AHEAD, False, (
        "**Contradicted on real photos (12 albums): the GRU is significantly ahead on METEOR and "
        "ROUGE-L; no significant difference on CIDEr.**",
        "- METEOR: the LSTM 0.330, the GRU 0.360; the GRU ahead by 0.030 (interval +0.010 to "
        "+0.050, 95%), p = 0.004, n = 12: significant.",
        "- CIDEr: the LSTM 0.030, the GRU 0.034; the GRU ahead by 0.004",
        "p = 0.410, n = 12: not significant.",
    )),
    "nothing significant": (NOT_SIGNIFICANT_GRU, NOT_SIGNIFICANT, None, (
        "**Not confirmed on real photos (12 albums): no significant difference on METEOR, "
        "ROUGE-L and CIDEr.**",
        "- METEOR: the LSTM 0.330, the GRU 0.310; the LSTM ahead by 0.020 (interval +0.000 to "
        "+0.040, 95%), p = 0.087, n = 12: not significant.",
        "the GRU ahead by 0.008 (interval -0.012 to +0.028, 95%), p = 0.645",
    )),
    "LSTM wins": (LSTM_WINS, THESIS_AHEAD, True, (
        "**Supported on real photos (12 albums): the LSTM is significantly ahead on METEOR and "
        "ROUGE-L; no significant difference on CIDEr.**",
        "ahead by 0.040 (interval +0.020 to +0.060, 95%), p = 0.001, n = 12: significant.",
    )),
}  # fmt: skip


@pytest.mark.parametrize("results", GRU_VERDICTS)
def test_the_lstm_vs_gru_verdict_follows_the_paired_tests(results):
    """A GRU significantly ahead contradicts the claim, no significant difference leaves it
    unconfirmed, the LSTM significantly ahead supports it; the text says which and why."""
    scores, outcome, holds, lines = GRU_VERDICTS[results]
    finding = _claims(_report(*scores))["gru"]
    assert finding.outcome == outcome and finding.holds is holds
    text = real_photos.claim_markdown(finding)
    for line in lines:
        assert line in text


def test_gru_wins_names_the_claim_and_each_metric():
    finding = _claims(_report(*GRU_WINS))["gru"]
    assert not finding.far_ahead
    assert [f.outcome for f in finding.metrics] == [OTHER_AHEAD, OTHER_AHEAD, NOT_SIGNIFICANT]
    assert real_photos.claim_markdown(finding).startswith(
        "**LSTM vs GRU.** The thesis: the LSTM beats the GRU on METEOR and ROUGE-L. Tested here: "
        "vist-lstm against vist-gru."
    )


def test_mixed_results_name_both_sides():
    versus = {"METEOR": (0.02, 0.01), "ROUGE_L": (-0.02, 0.02), "CIDEr": (0.0, 1.0)}
    finding = _claims(_report(versus, (0.31, 0.29, 0.03)))["gru"]
    assert finding.outcome == MIXED and finding.holds is False
    assert (
        "Contradicted on real photos (12 albums): the LSTM is significantly ahead on METEOR; "
        "the GRU is significantly ahead on ROUGE-L; no significant difference on CIDEr."
        in real_photos.claim_verdict(finding)
    )


def test_greedy_and_arel_verdicts():
    claims = _claims(_report(*LSTM_WINS))
    greedy = real_photos.claim_verdict(claims["greedy"])
    assert claims["greedy"].holds is True
    assert greedy.startswith("Consistent with real photos (12 albums): no significant difference")
    arel = claims["arel"]
    assert arel.holds is False and arel.far_ahead
    assert real_photos.claim_verdict(arel) == (
        "Not supported on real photos (12 albums): AREL is significantly ahead on METEOR, "
        "ROUGE-L and CIDEr. AREL, trained on about 40,000 real photo-story pairs (VIST train), "
        "is far ahead: 4.6 times the thesis model's CIDEr."
    )


def test_close_released_system_is_not_far_ahead():
    report = _report(*LSTM_WINS)
    close = _row(
        "released",
        (0.34, 0.28, 0.035),
        {"METEOR": (-0.01, 0.01), "ROUGE_L": (-0.01, 0.01), "CIDEr": (-0.005, 0.04)},
    )
    report.systems[AREL] = close
    arel = _claims(report)["arel"]
    assert arel.outcome == OTHER_AHEAD and not arel.far_ahead
    assert "far ahead" not in real_photos.claim_verdict(arel)


def test_a_shipped_results_file_gives_the_three_claims():
    report = real_photos.load_real_photo_results()
    if report is None:
        pytest.skip("assets/results/vist_real_photos.json not computed (`make vist-models`)")
    found = _claims(report)
    assert set(found) <= {"gru", "greedy", "arel"} and "greedy" in found
    for finding in found.values():
        assert finding.thesis == report.thesis and finding.albums == len(report.albums)
        assert real_photos.claim_markdown(finding).count("\n- ") == len(finding.metrics)


def test_architecture_is_drawn_for_the_model_shown():
    terms = architecture_dot("LSTM", encoder="terms")
    assert "EfficientNet-Lite0 → ImageNet class-name terms" in terms and "Xception" not in terms
    assert "copying a photo's term (our extension)" in terms  # the shipped VIST models copy
    older = architecture_dot("LSTM", encoder="concepts")  # older cards: same encoder, no copying
    assert "EfficientNet-Lite0 → ImageNet class-name terms" in older and "copying" not in older
    xception = architecture_dot("LSTM", encoder="xception")
    assert "Xception (ImageNet)" in xception and "EfficientNet" not in xception
    assert "handcrafted colour and texture" in architecture_dot("LSTM", encoder="handcrafted")
    assert architecture_dot("LSTM", encoder="unknown") == architecture_dot("LSTM")
    report = _report(*LSTM_WINS)
    assert thesis_view.shown_encoder(report, demo_results=True) == "terms"
    assert thesis_view.shown_encoder(None, demo_results=True) == "handcrafted"
    assert thesis_view.shown_encoder(None, demo_results=False) is None
    assert "weighted by the classes' probabilities" in thesis_view.architecture_notes("terms")
    assert "Our extension" in thesis_view.architecture_notes("terms")
    assert "Our extension" not in thesis_view.architecture_notes("concepts")
    assert "Xception feature vector" in thesis_view.architecture_notes("xception")


def test_pair_groups_offer_only_systems_scored_on_the_same_albums():
    document = _report(*LSTM_WINS).to_json()
    document["systems"]["human references (leave-one-out)"] = {
        **document["systems"][THESIS],
        "kind": "reference",
    }
    report = RealPhotoReport.from_json(document)
    references = {album: ["a story ."] for album in ALBUMS}
    real = published_view.real_photo_references(report, {**references, "other": ["x ."]})
    assert real == references
    assert published_view.real_photo_references(report, {"album0": ["x ."]}) is None
    registered = ["AREL", "KAGS"]
    demo = published_view.pair_groups(registered, ["lstm-beam", "gru-beam"], False, report, real)
    assert [group.key for group in demo] == ["real", "released", "local"]
    real_group, released, local = demo
    assert real_group.choices == tuple(
        f"real photos: {name}" for name in (THESIS, GREEDY, PLAIN, GRU, AREL)
    )  # the human row's stories are one reference, not a system's: left out
    assert released.choices == ("AREL", "KAGS")  # demo-pack systems never beside AREL
    assert local.choices == ("local: lstm-beam", "local: gru-beam")
    vist = published_view.pair_groups(registered, ["lstm-beam"], True, report, None)
    assert [group.key for group in vist] == ["released"]  # no references: no real-photo pairs
    assert vist[0].choices == ("AREL", "KAGS", "local: lstm-beam")
    assert published_view.choice_title(f"real photos: {GRU}") == f"real photos: {GRU}"


def test_rows_keep_their_model_directory_through_the_file():
    report = _report(*LSTM_WINS)
    again = RealPhotoReport.from_json(report.to_json())
    assert again.systems[GREEDY].model == "vist-lstm" and again.systems[AREL].model == ""
    assert "model" not in report.to_json()["systems"][AREL]
    older = report.to_json()["systems"][GRU]  # written before rows named their model
    del older["model"]
    older["note"] = "told by vist-gru from the photos"
    assert SystemReport.from_json(older).model == "vist-gru"
    assert again.model_fingerprint(GRU) == {"cell": "gru", "encoder": TERMS}
    assert again.model_fingerprint(AREL) == {}
