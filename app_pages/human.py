"""Human evaluation: blind pairwise comparisons and Turing tests, rated here, stored in SQLite."""

import streamlit as st

from imgstory.app import human_view, source_picker
from imgstory.app.i18n import _
from imgstory.errors import UserInputError
from imgstory.human.study import load_study

source = source_picker.current_source(required=False)
st.title(_("Human evaluation"))

params = st.query_params
project_column, study_column, mode_column = st.columns([2, 2, 3], vertical_alignment="bottom")
project = project_column.text_input(
    _("Project"),
    value=params.get("project", human_view.DEFAULT_PROJECT),
    help=_(human_view.PROJECT_HELP),
)
try:
    store = human_view.open_project(project)
    names = store.study_names() if store else []
except UserInputError as error:
    st.error(human_view.shown_error(error))
    st.stop()

wanted_mode = params.get("mode", human_view.RATE if names else human_view.CREATE)
mode = mode_column.segmented_control(
    _("View"),
    human_view.MODES,
    default=wanted_mode if wanted_mode in human_view.MODES else human_view.RATE,
    format_func=_,
    required=True,
)
wanted = params.get("study")
name = study_column.selectbox(
    _("Study"),
    names,
    index=names.index(wanted) if wanted in names else (len(names) - 1 if names else None),
    disabled=not names or mode == human_view.CREATE,
    placeholder=_("no study yet"),
)
st.caption(
    _(
        "Blind studies of the stories: raters see an album's photos with two stories (which is "
        "better, per aspect) or one (a person or a machine?), never which system wrote them. "
        "Database: {database}"
    ).format(database=human_view.shown_path(project))
)
human_view.show_created()
if mode == human_view.CREATE:
    human_view.render_create(project, source)
    st.stop()
if store is None or not names:
    st.info(_("No study in this project yet: choose **Create a study**."))
    st.stop()
try:  # a damaged database is one message, never a traceback
    study = load_study(store, name)
    if mode == human_view.RATE:
        human_view.render_rating(store, study, source)
    else:
        human_view.render_results(store, study)
except UserInputError as error:
    st.error(human_view.shown_error(error))
