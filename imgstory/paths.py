"""Where IMG_Story finds its shipped assets and a user's data (environment overrides)."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
ASSETS_DIR = REPO_ROOT / "assets"
DEMO_DIR = ASSETS_DIR / "demo"
PUBLISHED_RESULTS_FILE = ASSETS_DIR / "published_results.json"
SHIPPED_MODELS_DIR = ASSETS_DIR / "models"
REAL_PHOTO_RESULTS_FILE = ASSETS_DIR / "results" / "vist_real_photos.json"


def vist_dir() -> Path | None:
    """A real VIST folder the user pointed to with ``IMGSTORY_VIST_DIR``, or None."""
    value = os.environ.get("IMGSTORY_VIST_DIR", "").strip()
    return Path(value).expanduser() if value else None


def models_dir() -> Path | None:
    """A folder of the user's own model directories (``IMGSTORY_MODELS_DIR``), or None."""
    value = os.environ.get("IMGSTORY_MODELS_DIR", "").strip()
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """The folder for a user's own data (human-evaluation databases): ``IMGSTORY_DATA_DIR``, else
    ``$XDG_DATA_HOME/imgstory`` (``~/.local/share/imgstory``); never inside the package or repo."""
    value = os.environ.get("IMGSTORY_DATA_DIR", "").strip()
    if value:
        return Path(value).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "imgstory"
