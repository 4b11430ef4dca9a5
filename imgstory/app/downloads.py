"""Download formats for a generated story: plain text, JSON, and the VIST challenge format."""

from __future__ import annotations

import json

from imgstory.app.generation import StoryResult
from imgstory.eval.predictions import ChallengeStory, challenge_document


def _provenance(result: StoryResult) -> dict[str, object]:
    return {
        "model": result.model_label,
        "model_dir": result.model_dir,
        "decoding": result.decoding,
    }


def story_text(result: StoryResult) -> str:
    """The story for people: one display sentence per line, then where it came from."""
    lines = [
        f"Photo {position + 1} ({label}): {sentence}"
        for position, (label, sentence) in enumerate(
            zip(result.photo_labels, result.display_sentences, strict=True)
        )
    ]
    lines += ["", f"Model: {result.model_label} ({result.model_dir})"]
    lines.append(f"Decoding: {result.decoding_label}")
    return "\n".join(lines) + "\n"


def story_json(result: StoryResult) -> str:
    """The story with its normalised and display sentences, photos, provenance and any scores."""
    document = {
        "sentences": list(result.sentences),
        "story": result.story,
        "display_sentences": list(result.display_sentences),
        "photos": list(result.photo_labels),
        **_provenance(result),
        "seconds": round(result.seconds, 4),
    }
    if result.album_id:
        document["album_id"] = result.album_id
    if result.scores:
        document["scores"] = result.scores
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def challenge_json(results: list[StoryResult], description: str = "") -> str:
    """Stories in the VIST challenge submission format (one entry per photo sequence).

    ``{"team_name", "evaluation_info": {"additional_description"}, "output_stories": [{"album_id",
    "photo_sequence", "story_text_normalized"}]}``; uploads without an album get ``"uploaded"``.
    """
    description = description or "; ".join(f"{r.model_label}, {r.decoding_label}" for r in results)
    stories = (
        ChallengeStory(result.album_id or "uploaded", tuple(result.photo_labels), result.story)
        for result in results
    )
    document = challenge_document(stories, description)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
