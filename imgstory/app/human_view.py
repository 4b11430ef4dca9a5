"""The Human evaluation page's logic: the project database, creating a study, rating, results.

The study design, storage and statistics live in ``imgstory.human``; this module draws them.
Raters share links such as ``/human?project=P&study=S``; the rater's name joins the link once
entered, so a reload continues where the rater stopped.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import streamlit as st

from imgstory.app import model_thread, sources, state
from imgstory.app.explore import split_story
from imgstory.app.exposure import DATA_FOLDER, public_text
from imgstory.app.i18n import (
    N_,
    _,
    error_text,
    name_in,
    ngettext,
    stories_language_note,
    story_html,
)
from imgstory.app.markup import literal
from imgstory.errors import UserInputError
from imgstory.eval.floors import first_stories
from imgstory.human import study as studies
from imgstory.human.export import csv_text, judgement_rows
from imgstory.human.stats import ALPHA_NOTE, WILSON_NOTE, Rate, StudyReport, study_report
from imgstory.human.store import HumanStore, check_new_project, project_db_path
from imgstory.paths import data_dir
from imgstory.text.tokens import display_sentence

DEFAULT_PROJECT = "default"
RATE, RESULTS, CREATE = N_("Rate"), N_("Results"), N_("Create a study")
MODES = (RATE, RESULTS, CREATE)
HUMAN_REFERENCE = N_("Human reference stories")
FLASH_KEY = "human_flash"
#: How the page names a study's kind.
KIND_NAMES = {
    studies.StudyKind.PAIRWISE: N_("Pairwise"),
    studies.StudyKind.TURING: N_("Turing test"),
}
#: Answer -> (button label, keyboard shortcut).
PAIRWISE_BUTTONS = {
    "left": (N_("Left story"), "1"),
    "tie": (N_("Tie / unsure"), "2"),
    "right": (N_("Right story"), "3"),
}
TURING_BUTTONS = {"human": (N_("A person"), "1"), "machine": (N_("A machine"), "2")}
PROJECT_HELP = N_(
    "a project is one SQLite database file, <IMGSTORY_DATA_DIR>/human/<project>.sqlite "
    "(default data folder ~/.local/share/imgstory); raters of a study use the same project"
)


def readable_story(story: str) -> list[str]:
    """A stored (normalised) story as the sentences a rater reads; human and machine stories
    go through the same formatting, so the form never tells them apart."""
    return [display_sentence(sentence) for sentence in split_story(story)]


def open_project(project: str, create: bool = False) -> HumanStore | None:
    """The project's database; None for a project with no file yet unless ``create`` (a visit
    never creates a file: only making a study does, up to ``MAX_PROJECTS``).

    Raises:
        UserInputError: a bad project name, a full data folder, a file that is not a study
            database (the file is unchanged).
    """
    path = project_db_path(project)
    if not path.exists() and not create:
        return None
    check_new_project(path)
    return HumanStore.open(path, create=True)


def shown_path(project: str) -> str:
    """The project's database path as the page's caption shows it, as Markdown text: under the
    data folder's name (``<IMGSTORY_DATA_DIR>/human/NAME.sqlite``), never the server's absolute
    path; the name as typed when it is not a valid project name."""
    try:
        path = project_db_path(project)
    except UserInputError:
        return literal(project)
    return literal(str(path).replace(str(data_dir()), DATA_FOLDER))


def shown_error(error: UserInputError) -> str:
    """An error as the page shows it: translated, without server paths, as text."""
    return literal(public_text(error_text(error)))


def albums_with_photos(first: dict[str, Any], finder: Any, split: str) -> list[studies.AlbumPhotos]:
    """Albums whose shown photo sequence (the first story's) has every photo on disk."""
    if finder is None:
        return []
    return [
        studies.AlbumPhotos(album, story.photo_ids)
        for album, story in first.items()
        if all(finder.find(photo, split) is not None for photo in story.photo_ids)
    ]


@dataclass(frozen=True)
class SystemOption:
    """A system the creator can pick: a label and how to get its stories."""

    label: str
    kind: str  # "human", "predictions" or "model"
    path: Path | None = None
    beam: bool = False  # a model: beam search (the thesis's decoding) instead of the default


def system_options(source: sources.DataSource) -> list[SystemOption]:
    """The human references, the source's prediction files (named within the source's folder,
    as every caption names data: no server path) and every model, twice: with the default
    decoding and with beam search (the thesis's decoding), so a study can put the two before
    raters."""
    from imgstory.app.models import discover_models

    options = [SystemOption(_(HUMAN_REFERENCE), "human")]
    if source.results_dir and (source.results_dir / "predictions").is_dir():
        options += [
            SystemOption(
                _("predictions {name} ({file})").format(
                    name=path.stem, file=path.relative_to(source.root).as_posix()
                ),
                "predictions",
                path,
            )
            for path in sorted((source.results_dir / "predictions").glob("*.json"))
        ]
    for choice in discover_models():
        options += [
            SystemOption(_("model: {model}").format(model=choice.title), "model", choice.path),
            SystemOption(
                _("model: {model}, beam search (the thesis's decoding)").format(model=choice.title),
                "model",
                choice.path,
                beam=True,
            ),
        ]
    return options


def predictions_system(name: str, description: str, data: bytes) -> studies.SystemStories:
    """A system from AREL-format predictions (an uploaded or shipped file's bytes)."""
    from imgstory.app.scoring import predictions_from_upload

    return studies.SystemStories(name, description, predictions_from_upload(name, data))


def model_system(
    option: SystemOption, albums: list[studies.AlbumPhotos], finder: Any, split: str
) -> studies.SystemStories:
    """Run a model on each album's photos with the default decoding (beam search for a
    ``beam`` option: the system's name says so), through the app's model thread; the system's
    description says which decoding that was."""
    from imgstory.decoding.config import DecodingConfig

    teller = model_thread.storyteller(option.path)
    decoding = teller.applied(DecodingConfig(method="beam") if option.beam else DecodingConfig())
    name = f"{option.path.name}, beam" if option.beam else option.path.name
    bar = st.progress(0.0, text=_("Writing stories with {model}…").format(model=option.path.name))
    stories = {}
    for done, album in enumerate(albums):
        photos = [finder.find(photo, split) for photo in album.photo_ids]
        stories[album.album_id] = model_thread.on_model_thread(
            teller.generate_from_images, photos, decoding
        ).story
        bar.progress(
            (done + 1) / len(albums),
            text=ngettext("{model}: {n} album", "{model}: {n} albums", done + 1).format(
                model=option.path.name, n=done + 1
            ),
        )
    bar.empty()
    method = f"beam {decoding.beam_size}" if option.beam else decoding.method
    return studies.SystemStories(
        name,
        f"model {option.path} on the photos, {method} decoding (presence penalty "
        f"{decoding.repeat_penalty:g}, sentence-end penalty {decoding.end_penalty:g}, album share "
        f"{decoding.album_share:g}, copy weight {decoding.copy_weight:g}) ({option.label})",
        stories,
    )


def file_systems(
    chosen: list[SystemOption], uploads: list[Any], first: dict[str, Any]
) -> list[studies.SystemStories]:
    """The chosen systems whose stories already exist: human references, prediction files."""
    systems = []
    for option in chosen:
        if option.kind == "human":
            systems.append(studies.human_reference_system(first))
        elif option.kind == "predictions":
            systems.append(
                predictions_system(
                    option.path.stem, f"AREL predictions {option.path}", option.path.read_bytes()
                )
            )
    systems += [
        predictions_system(
            Path(upload.name).stem, f"uploaded file {upload.name}", upload.getvalue()
        )
        for upload in uploads
    ]
    return systems


def told_by_all(
    albums: list[studies.AlbumPhotos], systems: list[studies.SystemStories]
) -> list[studies.AlbumPhotos]:
    """The albums every system has a story for."""
    return [a for a in albums if all(a.album_id in system.stories for system in systems)]


def render_create(project: str, source: sources.DataSource | None) -> None:
    """The form that makes a new study from the current data source's albums (the project's
    database is created with its first study)."""
    if source is None:
        st.info(_("Pick a data source in the sidebar: a study's albums and photos come from it."))
        return
    finder = state.source_photo_finder(source)
    split = st.selectbox(
        _("Split"),
        source.splits,
        index=source.splits.index(source.default_split),
        help=_("the albums come from this split's story file"),
    )
    first = first_stories(state.sis_file(source.sis_files[split]).stories)
    albums = albums_with_photos(first, finder, split)
    st.caption(
        ngettext(
            "{shown} of {albums} album of {data}, {split} split, has every photo of its first "
            "story on disk; raters see those photos in order.",
            "{shown} of {albums} albums of {data}, {split} split, have every photo of their first "
            "story on disk; raters see those photos in order.",
            len(first),
        ).format(shown=len(albums), albums=len(first), data=source.label, split=split)
    )
    options = system_options(source)
    # outside the form, so that the form asks what this kind of study needs (aspects: pairwise)
    kind = st.radio(
        _("Kind"),
        studies.KINDS,
        format_func=lambda kind: _(KIND_NAMES[kind]),
        horizontal=True,
        help=_(studies.KIND_HELP),
    )
    form = _study_form(kind, options, len(albums))
    if form is None:
        return
    try:
        created = _create_study(project, source, split, form, first, albums, finder)
    except UserInputError as error:
        st.error(shown_error(error))
        return
    st.session_state[CREATED_KEY] = created
    st.query_params.update(project=created.project, study=created.name)
    st.rerun()  # the Study box above lists the new study, selected


@dataclass(frozen=True)
class _StudyForm:
    """What the "Create study" form was submitted with."""

    kind: studies.StudyKind
    name: str
    chosen: list[SystemOption]
    uploads: list[Any]
    aspects: list[str]
    size: int
    seed: int
    per_item: int


def _study_form(
    kind: studies.StudyKind, options: list[SystemOption], albums: int
) -> _StudyForm | None:
    """The "Create study" form for a study of ``kind`` over up to ``albums`` albums: what it was
    submitted with, or None until it is."""
    with st.form("create_study"):
        name = st.text_input(_("Study name"), placeholder=_("e.g. lstm-vs-gru"))
        chosen = st.multiselect(
            _("Systems (two or more)"),
            options,
            format_func=lambda option: option.label,
            help=_(
                "human references, AREL prediction files, or models run on the albums' photos; a "
                "Turing test needs the human references and at least one machine system"
            ),
        )
        uploads = st.file_uploader(
            _("More AREL prediction files"), type=["json"], accept_multiple_files=True
        )
        aspects = (
            st.multiselect(
                _("Aspects"),
                list(studies.ASPECTS),
                default=list(studies.DEFAULT_ASPECTS),
                format_func=aspect_name,
                help=_("TAPM's three, then VIST-Edit's six; one question per aspect"),
            )
            if kind == studies.PAIRWISE
            else []  # a Turing test asks one question: a person or a machine?
        )
        size = st.number_input(
            _("Albums (a random sample; 0 = all with photos)"),
            0,
            max(albums, 1),
            min(10, albums),
        )
        seed = int(st.number_input(_("Sample seed"), 0, 10_000, 0))
        per_item = st.number_input(
            _("Judgements per item"), 1, 20, 3, help=_(studies.JUDGEMENTS_HELP)
        )
        submitted = st.form_submit_button(_("Create study"), type="primary")
    if not submitted:
        return None
    return _StudyForm(kind, name, chosen, uploads or [], aspects, int(size), seed, int(per_item))


def _create_study(
    project: str,
    source: sources.DataSource,
    split: str,
    form: _StudyForm,
    first: dict[str, Any],
    albums: list[studies.AlbumPhotos],
    finder: Any,
) -> CreatedStudy:
    """Make the submitted study in ``project`` (its albums sampled from those every system told).

    Raises:
        UserInputError: the form asks for a study that cannot be made.
    """
    systems = file_systems(form.chosen, form.uploads, first)
    covered = told_by_all(albums, systems)
    sampled = set(
        studies.sample_albums([a.album_id for a in covered], form.size or len(covered), form.seed)
    )
    common = [album for album in covered if album.album_id in sampled]
    systems += [
        model_system(option, common, finder, split)
        for option in form.chosen
        if option.kind == "model"
    ]
    spec = studies.StudySpec(
        name=form.name,
        kind=form.kind,
        systems=tuple(systems),
        albums=tuple(common),
        aspects=tuple(form.aspects),
        judgements_per_item=form.per_item,
        data_label=f"{source.label}, {split} split",  # stored: the study's record
        images_dir=str(source.images_dir) if source.images_dir else None,
    )
    studies.create_study(open_project(project, create=True), spec, seed=form.seed)
    return CreatedStudy(project.strip(), form.name.strip(), len(common), len(systems))


#: The study the last "Create study" made, shown once on the next run (:func:`show_created`).
CREATED_KEY = "human_created_study"


@dataclass(frozen=True)
class CreatedStudy:
    """A study just made on the page: its project, name and size."""

    project: str
    name: str
    albums: int
    systems: int


def show_created() -> None:
    """Once, after "Create study": what was made and the full link raters open (a button that
    opens it, and the address to copy)."""
    created = st.session_state.pop(CREATED_KEY, None)
    if created is None:
        return
    st.success(
        _("Study {name} created: {albums} albums, {systems} systems. Raters open:").format(
            name=literal(repr(created.name)), albums=created.albums, systems=created.systems
        )
    )
    link = rater_link(created.project, created.name, base=st.context.url)
    st.link_button(_("Open the rater page"), link)
    st.code(link, language=None)


#: The aspects of ``imgstory.human.study.ASPECTS`` (and the Turing test's) as the page names them.
ASPECT_NAMES = {
    "expressiveness": N_("expressiveness"),
    "concreteness": N_("concreteness"),
    "relevance": N_("relevance"),
    "focused": N_("focused"),
    "coherent": N_("coherent"),
    "would share": N_("would share"),
    "sounds human": N_("sounds human"),
    "grounded": N_("grounded"),
    "detailed": N_("detailed"),
    "human": N_("written by a person"),
}


def aspect_name(aspect: str) -> str:
    """An aspect key as the page shows it (the session's language)."""
    return name_in(ASPECT_NAMES, aspect)


def _answer(store: HumanStore, study: studies.Study, rater: str, item: int, aspect: str, answer):
    try:
        studies.record_judgement(store, study, rater, item, aspect, answer)
    except UserInputError as error:
        st.session_state[FLASH_KEY] = shown_error(error)


def _rater_name() -> str | None:
    """The rater's name from the link, or the name form; None until one is entered."""
    given = st.query_params.get("rater", "")
    if given.strip():
        return given
    with st.form("rater"):
        typed = st.text_input(
            _("Your name"), help=_("kept with your answers; use it again to resume")
        )
        started = st.form_submit_button(_("Start rating"), type="primary")
    if not started:
        return None
    try:
        name = studies.clean_rater_name(typed)
    except UserInputError as error:
        st.error(shown_error(error))
        return None
    st.query_params["rater"] = name
    st.rerun()  # draw the first question without the name form


def _photos(assignment: studies.Assignment, study: studies.Study, source) -> None:
    finder = None
    if study.images_dir and Path(study.images_dir).is_dir():
        finder = state.photo_finder(study.images_dir)
    elif source is not None:
        finder = state.source_photo_finder(source)
    columns = st.columns(len(assignment.photo_ids))
    for position, (column, photo) in enumerate(zip(columns, assignment.photo_ids, strict=True)):
        path = finder.find(photo) if finder else None
        with column:
            if path is None:
                st.warning(
                    _("photo {position} ({photo}) is missing on this machine").format(
                        position=position + 1, photo=literal(photo)
                    )
                )
            else:
                st.image(str(path), caption=f"{position + 1}", width="stretch")


def render_rating(store: HumanStore, study: studies.Study, source) -> None:
    """One question at a time: the item's photos, its story or stories, one click per aspect."""
    rater = _rater_name()
    if rater is None:
        st.caption(
            _("Enter a name to start. Which system wrote a story is never shown while you rate.")
        )
        return
    try:
        rater = studies.clean_rater_name(rater)
        assignment = studies.next_assignment(store, study, rater)
        progress = studies.rater_progress(store, study, rater)
    except UserInputError as error:
        st.error(shown_error(error))
        return
    if flash := st.session_state.pop(FLASH_KEY, None):
        st.error(flash)
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(
        _(
            "Rating as **{rater}**: your answers are saved at each click; come back to resume."
        ).format(rater=literal(rater))
    )
    if right.button(_("Not you? Change rater"), type="tertiary"):
        del st.query_params["rater"]
        st.rerun()
    if assignment is None:
        st.progress(
            1.0,
            text=_("{done} of {total} items").format(done=progress.done, total=progress.total),
        )
        st.success(_("You have judged every item open to you in this study. Thank you!"))
        return
    st.progress(
        progress.done / max(progress.total, 1),
        text=_("Item {n} of {total}").format(n=progress.done + 1, total=progress.total),
    )
    _photos(assignment, study, source)
    if study.kind == studies.PAIRWISE:
        for column, side, story in zip(
            st.columns(2),
            (_(PAIRWISE_BUTTONS["left"][0]), _(PAIRWISE_BUTTONS["right"][0])),
            assignment.stories,
            strict=True,
        ):
            with column, st.container(border=True):
                st.markdown(f"**{side}**")
                st.markdown(story_html(" ".join(readable_story(story))), unsafe_allow_html=True)
    else:
        with st.container(border=True):
            story = " ".join(readable_story(assignment.stories[0]))
            st.markdown(story_html(story), unsafe_allow_html=True)
    stories_language_note()
    aspect = assignment.aspects_left[0]
    asked = len(study.aspects) - len(assignment.aspects_left) + 1
    question = (
        studies.ASPECTS[aspect] if study.kind == studies.PAIRWISE else studies.TURING_QUESTION
    )
    st.subheader(_(question))
    if len(study.aspects) > 1:
        st.caption(
            _("Question {n} of {total} for these photos").format(n=asked, total=len(study.aspects))
        )
    buttons = PAIRWISE_BUTTONS if study.kind == studies.PAIRWISE else TURING_BUTTONS
    for column, (answer, (label, key)) in zip(
        st.columns(len(buttons)), buttons.items(), strict=True
    ):
        column.button(
            _(label),
            key=f"answer-{assignment.item_id}-{aspect}-{answer}",
            shortcut=key,
            on_click=_answer,
            args=(store, study, rater, assignment.item_id, aspect, answer),
            width="stretch",
        )
    st.caption(_("Keyboard: press the key shown on a button."))


def _cell(cell: Rate) -> str:
    """``count · rate [low–high]``, e.g. ``11 · 46% [28–65%]``."""
    if not cell.n:
        return "–"
    return f"{cell.count} · {cell.value:.0%} [{cell.low * 100:.0f}–{cell.high:.0%}]"


def report_tables(report: StudyReport) -> dict[str, list[dict[str, Any]]]:
    """The report's tables as rows of text cells, as the page shows them."""
    tables: dict[str, list[dict[str, Any]]] = {}
    if report.pairwise is not None:
        tables["pairwise"] = [
            {
                _("pair"): _("{first} vs {second}").format(
                    first=literal(row.system), second=literal(row.versus)
                ),
                _("aspect"): aspect_name(row.aspect),
                "n": row.n,
                _("wins"): _cell(row.wins),
                _("ties"): _cell(row.ties),
                _("losses"): _cell(row.losses),
            }
            for row in report.pairwise
        ]
    if report.turing is not None:
        tables["turing"] = [
            {
                _("system"): literal(row.system),
                _("written by"): _("people") if row.is_human else _("a machine"),
                _("judgements"): row.n,
                _("judged human"): _cell(row.judged_human),
            }
            for row in report.turing
        ]
    tables["agreement"] = [
        {
            _("aspect"): aspect_name(row.aspect),
            _("Krippendorff's alpha"): _("undefined")
            if row.krippendorff_alpha is None
            else f"{row.krippendorff_alpha:.3f}",
            _("items judged by 2+ raters"): row.items_with_2_or_more,
        }
        for row in report.agreement
    ]
    return tables


def render_results(store: HumanStore, study: studies.Study) -> None:
    """Counts, the pairwise or Turing table with intervals, agreement and the CSV download."""
    report = study_report(store, study.name)
    st.caption(
        _(
            "Study **{name}** ({kind}) on {data}: {judgements} judgements by {raters} raters on "
            "{items} items ({complete} with all {per_item} judgements)."
        ).format(
            name=literal(study.name),
            kind=_(KIND_NAMES[study.kind]),
            data=literal(report.data),
            judgements=report.judgements,
            raters=report.raters,
            items=report.items,
            complete=report.items_fully_judged,
            per_item=report.judgements_per_item,
        )
    )
    st.markdown(
        _("Systems: {systems}").format(
            systems="; ".join(f"**{literal(n)}**: {literal(d)}" for n, d in study.systems.items())
        )
    )
    tables = report_tables(report)
    if "pairwise" in tables:
        st.subheader(_("Pairwise: wins / ties / losses of the pair's first system"))
        st.table(tables["pairwise"], hide_index=True)
    if "turing" in tables:
        st.subheader(_("Turing test: how often a story was judged written by a person"))
        st.table(tables["turing"], hide_index=True)
    st.caption(_(WILSON_NOTE))
    st.subheader(_("Inter-rater agreement"))
    st.table(tables["agreement"], hide_index=True)
    st.caption(_(ALPHA_NOTE))
    st.download_button(
        _("Download every judgement (CSV)"),
        csv_text(judgement_rows(store, study.name)),
        file_name=f"{study.name}-judgements.csv",
        mime="text/csv",
    )
    st.caption(_("Command line:"))
    st.code(report_command(public_text(str(store.path)), study.name), language="bash")


def report_command(database: str, study: str) -> str:
    """The ``imgstory human report`` command for a study, every value shell-quoted, so that
    pasting it runs that command and nothing else whatever the study is called."""
    arguments = ["imgstory", "human", "report", "--db", database, "--study", study, "--json"]
    return shlex.join(arguments)


def rater_link(project: str, study: str, base: str | None = None) -> str:
    """The link raters open for a study (the values URL-encoded): absolute on the server of
    ``base`` (the address this page was opened at), else a path."""
    path = "/human?" + urlencode({"project": project, "study": study})
    return urljoin(base, path) if base else path
