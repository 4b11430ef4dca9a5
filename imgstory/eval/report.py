"""The real-photo comparison as typed results: every system on the same albums, one schema.

``imgstory vist score`` writes a :class:`RealPhotoReport` (``to_json``) and the app reads it back
(:meth:`RealPhotoReport.load`). Its pieces are the results schema's (:mod:`imgstory.eval.results`):
intervals ``{"value", "ci95": [low, high]}``, and paired tests of the thesis model minus the row
on the albums both told. A file of an older layout is refused, naming ``imgstory vist score``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgstory.eval.identification import Identification
from imgstory.eval.naming import NamingResult
from imgstory.eval.results import (
    SCHEMA_KEY,
    SIGNIFICANCE,
    Interval,
    PairedTest,
    parse_results,
    read_results,
)
from imgstory.i18n import N_

__all__ = [
    "PAIRED_METRICS",
    "REAL_PHOTO_BUILDER",
    "REPORTED_METRICS",
    "SIGNIFICANCE",
    "SYSTEM_KINDS",
    "GroundingReport",
    "GroundingSystem",
    "Interval",
    "PairedTest",
    "RealPhotoReport",
    "StoryQuality",
    "SystemReport",
]

#: What a row of the comparison is (the table groups rows by kind, in this order).
SYSTEM_KINDS = {
    "model": N_("our models"),
    "released": N_("released systems (their published outputs)"),
    "reference": N_("human references"),
    "floor": N_("floors (no model)"),
}
#: The metrics shown with intervals, in the thesis's order.
REPORTED_METRICS = ("METEOR", "ROUGE_L", "CIDEr", "Bleu_4")
#: The metrics the thesis model is tested on against every row.
PAIRED_METRICS = ("METEOR", "ROUGE_L", "CIDEr")
#: The command that writes the real-photo results file (named when an old file is refused).
REAL_PHOTO_BUILDER = "imgstory vist score VIST_DIR --stories TEXT --overwrite"


def _rounded(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


@dataclass(frozen=True)
class StoryQuality:
    """Reference-free measures of a system's stories.

    Attributes:
        non_redundancy: mean RoViST-NR over stories (1 = no repetition).
        non_redundancy_min: the lowest story's RoViST-NR.
        distinct_2: mean over stories of the distinct-bigram share within the story.
        repeated_trigram_stories: stories in which a word trigram occurs twice.
        stories: stories measured.
    """

    non_redundancy: float | None
    non_redundancy_min: float | None
    distinct_2: float | None
    repeated_trigram_stories: int
    stories: int

    def to_json(self) -> dict[str, Any]:
        """The measures, rounded to 4 digits (null when undefined)."""
        return {
            "non_redundancy": _rounded(self.non_redundancy),
            "non_redundancy_min": _rounded(self.non_redundancy_min),
            "distinct_2": _rounded(self.distinct_2),
            "repeated_trigram_stories": self.repeated_trigram_stories,
            "stories": self.stories,
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> StoryQuality:
        """The inverse of :meth:`to_json`."""
        return cls(
            document.get("non_redundancy"),
            document.get("non_redundancy_min"),
            document.get("distinct_2"),
            int(document.get("repeated_trigram_stories", 0)),
            int(document.get("stories", 0)),
        )


def _identification_from_json(document: dict[str, Any]) -> Identification:
    ranks = document["ranks"]
    return Identification(tuple(ranks), tuple(int(rank) for rank in ranks.values()))


@dataclass(frozen=True)
class SystemReport:
    """One row of the comparison.

    Attributes:
        kind: a key of :data:`SYSTEM_KINDS`.
        scores: metric key -> value with its 95% bootstrap interval (AREL protocol).
        identification: ranks of each album's own references among all albums' (CIDEr-D).
        quality: non-redundancy, distinct-2, repeated trigrams.
        naming: the naming rate of the photos' own sentences (None when a story's photo
            sequence is not known).
        stories: album id -> the story scored.
        versus_thesis: metric key -> the thesis model minus this row (empty for the thesis).
        albums_missing: scored albums this system has no story for.
        note: where the stories come from and what to know when reading the row.
        naming_left_out: stories left out of the naming rate (sentences not one per photo).
        warnings: what the scorer warned about.
        model: the model directory that told a model row's stories ("" for other rows).
    """

    kind: str
    scores: dict[str, Interval]
    identification: Identification
    quality: StoryQuality
    naming: NamingResult | None
    stories: dict[str, str]
    versus_thesis: dict[str, PairedTest] = field(default_factory=dict)
    albums_missing: tuple[str, ...] = ()
    note: str = ""
    naming_left_out: int = 0
    warnings: tuple[str, ...] = ()
    model: str = ""

    def to_json(self) -> dict[str, Any]:
        """The row as written in the results file."""
        return {
            "kind": self.kind,
            **({"model": self.model} if self.model else {}),
            "note": self.note,
            "scores": {key: value.rounded().to_json() for key, value in self.scores.items()},
            "identification": self.identification.to_json(),
            "story_quality": self.quality.to_json(),
            "naming": None if self.naming is None else self.naming.to_json(),
            "naming_left_out": self.naming_left_out,
            "versus_thesis": {
                key: test.rounded().to_json() for key, test in self.versus_thesis.items()
            },
            "albums_missing": list(self.albums_missing),
            "warnings": list(self.warnings),
            "stories": dict(self.stories),
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> SystemReport:
        """The inverse of :meth:`to_json`."""
        naming = document.get("naming")
        return cls(
            kind=document["kind"],
            scores={key: Interval.from_json(value) for key, value in document["scores"].items()},
            identification=_identification_from_json(document["identification"]),
            quality=StoryQuality.from_json(document["story_quality"]),
            naming=None if naming is None else NamingResult.from_json(naming),
            stories=dict(document["stories"]),
            versus_thesis={
                key: PairedTest.from_json(value)
                for key, value in document.get("versus_thesis", {}).items()
            },
            albums_missing=tuple(document.get("albums_missing", ())),
            note=document.get("note", ""),
            naming_left_out=int(document.get("naming_left_out", 0)),
            warnings=tuple(document.get("warnings", ())),
            model=document.get("model") or _model_in_note(document.get("note", "")),
        )


def _model_in_note(note: str) -> str:
    """The model directory of a row written before rows named it ("told by DIR from ...")."""
    found = re.fullmatch(r"told by (\S+) from the photos", note)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class RealPhotoReport:
    """Every system told and scored on the same real VIST albums.

    Attributes:
        data: which albums and photos.
        albums: the album ids scored, in order.
        protocol: how the rows are scored (AREL protocol, intervals, identification, naming).
        training_text: the text the models learned from, in words.
        floor_text: the text the floors draw from.
        thesis: the row of the thesis model (the paired tests' first system).
        systems: row name -> its report, in display order.
        training_files: each training text file (name, sha256, stories in it and used).
        models: model directory name -> its fingerprints (weights, vocabulary, encoder, card).
        decoding: row name -> the decoding settings of a model row.
        code_version: the package version and git commit that wrote the file.
        created: when (UTC, ISO 8601).
    """

    SCHEMA = "imgstory/real-photo-results/2"
    BUILDER = REAL_PHOTO_BUILDER

    data: str
    albums: tuple[str, ...]
    protocol: str
    training_text: str
    floor_text: str
    thesis: str
    systems: dict[str, SystemReport]
    training_files: list[dict[str, Any]] = field(default_factory=list)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    decoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_version: dict[str, Any] = field(default_factory=dict)
    created: str = ""

    def to_json(self) -> dict[str, Any]:
        """The results file's document."""
        return {
            SCHEMA_KEY: self.SCHEMA,
            "data": self.data,
            "albums": list(self.albums),
            "protocol": self.protocol,
            "training_text": self.training_text,
            "training_files": self.training_files,
            "floor_text": self.floor_text,
            "thesis": self.thesis,
            "models": self.models,
            "decoding": self.decoding,
            "code_version": self.code_version,
            "created": self.created,
            "systems": {name: system.to_json() for name, system in self.systems.items()},
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> RealPhotoReport:
        """The inverse of :meth:`to_json` (the layout is checked by :meth:`parse`).

        Raises:
            KeyError: a field is missing.
        """
        return cls(
            data=document["data"],
            albums=tuple(document["albums"]),
            protocol=document["protocol"],
            training_text=document["training_text"],
            floor_text=document["floor_text"],
            thesis=document["thesis"],
            systems={
                name: SystemReport.from_json(system) for name, system in document["systems"].items()
            },
            training_files=document.get("training_files", []),
            models=document.get("models", {}),
            decoding=document.get("decoding", {}),
            code_version=document.get("code_version", {}),
            created=document.get("created", ""),
        )

    def model_fingerprint(self, system: str) -> dict[str, Any]:
        """The fingerprints of the model directory behind a row (``{}`` for a row no model of
        this file told)."""
        return self.models.get(self.systems[system].model, {})

    @classmethod
    def parse(cls, document: object, where: object = "real-photo results") -> RealPhotoReport:
        """A results document checked for its layout.

        Raises:
            UserInputError: another or an older layout, or malformed (one line naming ``where``
                and the command that rewrites the file).
        """
        return parse_results(document, cls.SCHEMA, cls.from_json, where, cls.BUILDER)

    @classmethod
    def load(cls, path: str | Path) -> RealPhotoReport:
        """Read a results file written by ``imgstory vist score`` (see :meth:`parse`)."""
        return read_results(path, cls.SCHEMA, cls.from_json, cls.BUILDER)


#: The command that writes the grounding results file (named when an old file is refused).
GROUNDING_BUILDER = (
    "imgstory grounding --photos PHOTOS --sis SIS --stories assets/results/vist_real_photos.json "
    "--json > assets/results/vist_grounding.json"
)


def _optional_interval(document: dict[str, Any]) -> Interval | None:
    """An interval, or None where nothing was measured (``{"value": null, "ci95": null}``)."""
    return None if document["value"] is None else Interval.from_json(document)


def _optional_interval_json(interval: Interval | None) -> dict[str, Any]:
    return {"value": None, "ci95": None} if interval is None else interval.rounded().to_json()


@dataclass(frozen=True)
class GroundingSystem:
    """One system's grounding on the albums' photos.

    Attributes:
        own_photos: the mean over albums with the album's own photos (None: no story had a
            content word).
        other_album_photos: the same with the next album's photos (the chance level).
        stories: stories measured.
        per_album: album id -> the mean grounding of its stories (None: not measured).
    """

    own_photos: Interval | None
    other_album_photos: Interval | None
    stories: int
    per_album: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        """The system as written in the results file."""
        return {
            "own_photos": _optional_interval_json(self.own_photos),
            "other_album_photos": _optional_interval_json(self.other_album_photos),
            "stories": self.stories,
            "per_album": {album: _rounded(value) for album, value in self.per_album.items()},
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> GroundingSystem:
        """The inverse of :meth:`to_json`."""
        per_album = document["per_album"]
        return cls(
            own_photos=_optional_interval(document["own_photos"]),
            other_album_photos=_optional_interval(document["other_album_photos"]),
            stories=int(document["stories"]),
            per_album={a: None if v is None else float(v) for a, v in per_album.items()},
        )


@dataclass(frozen=True)
class GroundingReport:
    """Grounding of every system's stories (and the human stories) on real VIST photos
    (``imgstory grounding``)."""

    SCHEMA = "imgstory/grounding-results/2"
    BUILDER = GROUNDING_BUILDER

    protocol: str
    data: str
    albums: tuple[str, ...]
    threshold: float
    systems: dict[str, GroundingSystem]

    def to_json(self) -> dict[str, Any]:
        """The results file's document."""
        return {
            SCHEMA_KEY: self.SCHEMA,
            "protocol": self.protocol,
            "data": self.data,
            "albums": list(self.albums),
            "threshold": self.threshold,
            "systems": {name: system.to_json() for name, system in self.systems.items()},
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> GroundingReport:
        """The inverse of :meth:`to_json` (the layout is checked by :meth:`load`)."""
        return cls(
            protocol=document["protocol"],
            data=document["data"],
            albums=tuple(document["albums"]),
            threshold=float(document["threshold"]),
            systems={
                name: GroundingSystem.from_json(system)
                for name, system in document["systems"].items()
            },
        )

    @classmethod
    def load(cls, path: str | Path) -> GroundingReport:
        """Read a grounding results file; another or an older layout is refused in one line
        naming the command that rewrites it."""
        return read_results(path, cls.SCHEMA, cls.from_json, cls.BUILDER)
