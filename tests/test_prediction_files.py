"""The challenge document IMG_Story writes is the one it reads back, field for field."""

from __future__ import annotations

import json

from imgstory.eval.predictions import ChallengeStory, challenge_document, load_challenge_submission


def test_a_written_challenge_document_reads_back_unchanged(tmp_path):
    stories = [
        ChallengeStory("album1", ("1", "2", "3", "4", "5"), "we went out . it was fun ."),
        ChallengeStory("album1", ("6", "7", "8", "9", "10"), "the end ."),
    ]
    path = tmp_path / "challenge.json"
    path.write_text(json.dumps(challenge_document(stories, "a test")))
    document = json.loads(path.read_text())
    assert document["team_name"] == "IMG_Story"
    assert document["evaluation_info"] == {"additional_description": "a test"}
    assert load_challenge_submission(path) == stories
