"""The real-photo section shared by the Thesis and Model comparison pages: which data, the table
of every system on the same real VIST albums, and the thesis's claims as findings."""

from __future__ import annotations

import streamlit as st

from imgstory.app import real_photos
from imgstory.app.i18n import _, stories_language_note, story_html, translate_columns
from imgstory.eval.claims import thesis_claims
from imgstory.eval.report import RealPhotoReport
from imgstory.text.tokens import display_sentence


def show_real_photo_results(
    report: RealPhotoReport,
    *,
    findings_heading: str,
    static_table: bool = False,
    stories: bool = False,
) -> None:
    """The section: caption, the never-saw-a-photo note (for text-only models), the comparison
    table, the claims with their verdicts, and optionally each system's story for one album.

    Args:
        report: the real-photo results (:func:`real_photos.load_real_photo_results`).
        findings_heading: the claims' heading (already translated; the pages' levels differ).
        static_table: a static table of the headline columns (wraps) instead of the full table
            in a scrolling grid.
        stories: add the per-album stories picker.
    """
    st.caption(real_photos.real_photo_caption(report))
    if real_photos.thesis_encoder(report) in real_photos.TEXT_ONLY_ENCODERS:
        st.markdown(_(real_photos.NEVER_SAW_A_PHOTO))
    table = real_photos.real_photo_table(report)
    if static_table:  # the headline: fewer columns, so that it reads without wrapping every cell
        headline = translate_columns(table[list(real_photos.HEADLINE_COLUMNS)])
        st.table(headline.set_index(_("system")))
        st.caption(_(real_photos.HEADLINE_NOTE))
    else:
        table = translate_columns(table)
        st.dataframe(table, hide_index=True, width="stretch")
    findings = thesis_claims(report)
    if findings:
        st.subheader(findings_heading)
        st.caption(real_photos.findings_caption(report))
        for finding in findings:
            st.markdown(real_photos.claim_markdown(finding))
    if stories:
        album = st.selectbox(_("Stories written for album"), list(report.albums), key="real_album")
        for system, story in real_photos.example_stories(report, album).items():
            st.markdown(
                f"**{_(system)}:** {story_html(display_sentence(story))}", unsafe_allow_html=True
            )
        stories_language_note()
