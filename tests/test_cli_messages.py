"""What the CLI says is true (issue 29.11): help that matches what an option accepts, hints that
name options the command has, a file called a file, no ``nan`` in tables nor bare ``NaN`` in
JSON, and the human references' registry entry called what it is."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imgstory.cli import app, main
from imgstory.eval.published import SCORED_HERE_HUMAN

AREL_PREDICTIONS = {"a1": "the dog ran .", "a2": "we ate ."}


def bootstrap_options() -> Iterator[tuple[str, Any]]:
    """Every command's ``--bootstrap`` option (Typer's click), with the command's name."""
    from typer.main import get_command

    def walk(command: Any, name: str) -> Iterator[tuple[str, Any]]:
        for sub_name, sub in getattr(command, "commands", {}).items():  # a group
            yield from walk(sub, f"{name} {sub_name}".strip())
        for parameter in command.params:
            if "--bootstrap" in getattr(parameter, "opts", ()):
                yield name, parameter

    yield from walk(get_command(app), "")


def test_bootstrap_help_says_0_only_where_0_is_accepted(capsys):
    """`--bootstrap` help said "0 = none" on the published commands, which refuse 0."""
    options = dict(bootstrap_options())
    assert {"evaluate", "published add", "published compare"} <= set(options)
    for name, option in options.items():
        zero_accepted = option.min == 0
        assert ("0, the default: no intervals" in option.help) == zero_accepted, name
        assert "0 = none" not in option.help and (zero_accepted or "at least 1" in option.help)
    code = main(["published", "compare", "a", "b", "--bootstrap", "0"])
    assert code == 2 and "greater than or equal to 1" in capsys.readouterr().err


def write(path: Path, document: object) -> Path:
    """``document`` as JSON at ``path``."""
    path.write_text(json.dumps(document))
    return path


def test_an_arel_file_as_a_challenge_submission_hints_the_command_own_option(tmp_path, capsys):
    """The hint named `--protocol arel`, which `published add` lacks."""
    predictions = write(tmp_path / "pred.json", AREL_PREDICTIONS)
    sis = write(tmp_path / "sis.json", {"images": [], "albums": [], "annotations": []})
    registry = write(tmp_path / "registry.json", {"results": []})
    add = ["published", "add", "--system", "x", "--paper", "p", "--repository", "o/r",
           "--path", "f", "--challenge", str(predictions), "--sis", str(sis),
           "--registry", str(registry)]  # fmt: skip
    assert main(add) == 2
    err = capsys.readouterr().err
    assert "looks like AREL predictions: give them as --predictions" in err
    assert "--protocol" not in err
    evaluate = ["evaluate", "--protocol", "challenge", "--references", str(sis),
                "--predictions", str(predictions)]  # fmt: skip
    assert main(evaluate) == 2
    assert "looks like AREL predictions: use --protocol arel" in capsys.readouterr().err


def test_grounding_photos_given_a_file_says_it_is_a_file(tmp_path, capsys):
    """`grounding --photos <file>` said "folder not found"."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"not a folder")
    stories = write(tmp_path / "stories.json", AREL_PREDICTIONS)
    arguments = ["grounding", "--photos", str(photo), "--sis", str(stories), "--stories",
                 str(stories)]  # fmt: skip
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert f"{photo} is a file, not a folder (expected a photo folder" in err
    assert main([*arguments[:2], str(tmp_path / "nowhere"), *arguments[3:]]) == 2
    assert "nowhere: folder not found (expected a photo folder" in capsys.readouterr().err


def test_numbers_that_are_not_there_print_as_n_a_and_json_as_null():
    import numpy as np

    from imgstory.cli.printing import number
    from imgstory.jsonfile import json_text

    assert number(0.12345) == "0.1235" and number(0.5, ".0%") == "50%"
    assert number(math.nan) == number(None) == number(math.inf, ".3f") == "n/a"
    document = {"a": [math.nan, 1.5, (math.inf, -math.inf)], "b": {"c": float("nan")}}
    assert json_text(document) == '{"a": [null, 1.5, [null, null]], "b": {"c": null}}'
    assert json_text({"x": np.float64("nan"), "y": np.float64(0.25)}) == '{"x": null, "y": 0.25}'


def no_nan(text: str) -> object:
    """Parse JSON, failing on a bare NaN or Infinity."""

    def refuse(constant: str) -> object:
        raise AssertionError(f"bare {constant} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_an_undefined_metric_is_n_a_in_the_table_and_null_in_json_and_the_registry(
    tmp_path, java, capsys
):
    """`published add-human` on one-sentence references printed `non_redundancy nan`, and wrote
    bare NaN to --json and to the registry."""
    references = write(
        tmp_path / "ref.json",
        {"a1": ["the dog ran .", "a cat sat ."], "a2": ["we ate .", "they ate ."]},
    )
    registry = write(tmp_path / "registry.json", {"results": []})
    arguments = ["published", "add-human", "--references", str(references), "--registry",
                 str(registry), "--bootstrap", "10"]  # fmt: skip
    assert main(arguments) == 0
    out, err = capsys.readouterr()
    assert "non_redundancy n/a" in out and "nan" not in out.lower()
    assert "RuntimeWarning" not in err
    stored = no_nan(registry.read_text())
    assert stored["results"][0]["story_metrics"]["non_redundancy"] is None
    assert main([*arguments, "--replace", "--json"]) == 0
    assert no_nan(capsys.readouterr().out)["story_metrics"]["non_redundancy"] is None


def test_comparing_the_human_references_names_their_provenance(tmp_path, capsys):
    """`published compare` called the human leave-one-out entry "as-reported numbers"."""
    human = {"system": "Human references (leave-one-out, 5 passes)", "paper": "p",
             "source": "s", "url": "u", "protocol": "arel", "split": "test", "scale": "0-1",
             "scores": {"METEOR": 0.3}, "provenance": SCORED_HERE_HUMAN}  # fmt: skip
    registry = write(tmp_path / "registry.json", {"results": [human]})
    arguments = ["published", "compare", human["system"], "x", "--registry", str(registry)]
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert f"has no per-album statistics ({SCORED_HERE_HUMAN})" in err
    assert "as-reported" not in err and err.count("\n") == 1


def test_a_decoding_option_the_config_refuses_is_one_line_naming_the_option(tmp_path, capsys):
    """`generate` and `predict` check their decoding options before the model loads: a value
    ``DecodingConfig`` refuses (NaN included) exits 2 with one line naming the flag."""
    command = ["generate", "--model", str(tmp_path / "model"), str(tmp_path / "a.jpg")]
    wrong = {
        ("--temperature", "nan"): "--temperature must be a finite number, got nan",
        ("--length-penalty", "inf"): "--length-penalty must be a finite number, got inf",
        ("--beam-size", "17"): "--beam-size must be in [1, 16], got 17",
        ("--top-p", "0"): "--top-p must be in (0, 1], got 0.0",
        ("--no-repeat-ngram", "1"): "--no-repeat-ngram must be 0 (off) or at least 2, got 1",
        ("--repeat-penalty", "nan"): "--repeat-penalty must be a finite number, got nan",
        ("--album-share", "1.5"): "--album-share must be in [0, 1], got 1.5",
        ("--album-share", "-0.1"): "--album-share must be in [0, 1], got -0.1",
        ("--copy-weight", "1.5"): "--copy-weight must be in [0, 1], got 1.5",
        ("--copy-weight", "nan"): "--copy-weight must be a finite number, got nan",
        ("--sentence-length", "41"): "--sentence-length must be in [0, 40], got 41.0",
        ("--seed", str(2**63)): f"--seed must be in [0, {2**63 - 1}], got {2**63}",
        ("--decoding", "top"): "--decoding must be one of ('greedy', 'beam', 'sample'), got 'top'",
    }
    for option, message in wrong.items():
        assert main([*command, *option]) == 2
        assert capsys.readouterr().err == f"error: {message}\n"
    predict = ["predict", "--model", "m", "--features", "f", "--stories", "s", "--out", "o"]
    assert main([*predict, "--temperature", "-1"]) == 2
    assert capsys.readouterr().err == "error: --temperature must be more than 0, got -1.0\n"
