"""Feature plots: a 2-D map of photo features, similarities within a sequence, strongest dims."""

import streamlit as st

from imgstory.app import (
    feature_maps,
    model_thread,
    models,
    photo_features,
    photo_inputs,
    source_picker,
    sources,
    state,
    uploads,
    widgets,
)
from imgstory.app.explore import story_slots
from imgstory.app.i18n import _
from imgstory.viz import features as figures
from imgstory.viz.projection import PROJECTIONS, cosine_similarity_matrix, strongest_dimensions

source = source_picker.current_source()
st.title(_("Feature plots"))
stores = feature_maps.feature_stores(source.features_dir)

with st.expander(_("Your photos: their features and what ImageNet sees in them"), expanded=True):
    files = st.file_uploader(
        _("Photos (2-10)"),
        accept_multiple_files=True,
        key="feature_photos",
        help=uploads.upload_help(),
    )
    encoder_name = st.radio(
        _("Encoder"),
        list(photo_features.ENCODERS),
        format_func=lambda name: _(photo_features.ENCODERS[name]),
        help=_(photo_features.ENCODER_HELP),
        key="feature_encoder",
    )
    checked, problems = uploads.check_uploads([(f.name, f.getvalue()) for f in files or []])
    for problem in problems if files else []:
        st.error(problem)
    if len(checked) >= 2:
        described = model_thread.on_model_thread(
            photo_features.describe_photos,
            model_thread.encoder(encoder_name),
            model_thread.encoder("concepts"),
            [photo.image for photo in checked],
            [photo.name for photo in checked],
        )
        st.plotly_chart(
            figures.feature_map_figure(
                described.map_points(),
                colour_by="photo",
                title=_(
                    "PCA of your {n} photos ({encoder} features); hover: top ImageNet classes"
                ).format(n=len(checked), encoder=models.encoder_title(encoder_name)),
                legend=_("photo"),
                translate=_,
            ),
            width="stretch",
        )
        st.plotly_chart(
            figures.similarity_heatmap_figure(
                cosine_similarity_matrix(described.vectors),
                described.labels,
                title=_("Cosine similarity of your photos ({encoder} features)").format(
                    encoder=models.encoder_title(encoder_name)
                ),
                translate=_,
            ),
            width="stretch",
        )
        for label, line in zip(described.labels, described.hover(), strict=True):
            st.markdown(f"- **{label}**: {line}")

if not stores:
    st.info(
        _(
            "{data} has no feature store in features/: extract one with `imgstory features "
            "extract --images {images} --out {out} --encoder handcrafted`."
        ).format(
            data=source.label, images=source.images_dir or "IMAGES", out=source.root / "features"
        )
    )
    st.stop()

store_path = (
    st.selectbox(_("Feature store"), stores, format_func=lambda p: p.name)
    if len(stores) > 1
    else stores[0]
)
store = state.feature_store(store_path)
st.caption(
    _(
        "Data: {data}. Features: {encoder} encoder, {dimension}-d vectors, {n} photos, from "
        "{folder}."
    ).format(
        data=source.label,
        encoder=models.encoder_title(store.encoder),
        dimension=store.dimension,
        n=len(store),
        folder=sources.display_path(store_path),
    )
)

controls = st.columns(4)
with controls[0]:
    splits = st.multiselect(_("Splits"), source.splits, default=[source.default_split])
with controls[1]:
    method = st.radio(
        _("Projection"), PROJECTIONS, horizontal=True, help=_(feature_maps.PROJECTION_HELP)
    )
with controls[2]:
    colour_options = [
        option for option in feature_maps.COLOUR_OPTIONS if source.is_demo or option != "theme"
    ]
    colour_by = st.selectbox(
        _("Colour by"),
        colour_options,
        index=colour_options.index("theme") if "theme" in colour_options else 0,
        format_func=_,
        help=_(feature_maps.COLOUR_HELP),
    )
with controls[3]:
    max_photos = st.slider(
        _("Photos shown"), 100, 3000, 800, step=100, help=_(feature_maps.MAX_PHOTOS_HELP)
    )

stories = state.source_stories_table(source, splits)
photos = feature_maps.photo_rows(stories, store)
in_store = set(photos["photo_id"])
complete = stories[[all(p in in_store for p in ids.split()) for ids in stories["photo_ids"]]]
if len(photos) < 3 or complete.empty:
    st.info(
        _("Too few photos of {splits} have features in {store}.").format(
            splits=", ".join(splits) or _("these splits"), store=store_path
        )
    )
    st.stop()

sequence_labels = photo_inputs.sequence_choices(complete, width=90)  # built once, not per option
story_id = st.selectbox(
    _("Sequence to highlight"), list(sequence_labels), format_func=sequence_labels.get
)
story_row = complete.set_index("story_id").loc[story_id]
sequence = story_row["photo_ids"].split()

sampled = feature_maps.sample_photos(photos, max_photos, keep=sequence)
if colour_by == "theme":
    sampled = sampled.assign(
        theme=sampled["album_id"]
        .map(feature_maps.album_themes(stories, source.root))
        .map(feature_maps.theme_name)
    )
points = state.feature_map(store_path, sampled, method)
st.plotly_chart(
    figures.feature_map_figure(
        points,
        colour_by=feature_maps.COLOUR_COLUMNS[colour_by],
        highlight=sequence,
        title=_("{method} of {n} photos ({encoder} features, {data})").format(
            method=method,
            n=len(points),
            encoder=models.encoder_title(store.encoder),
            data=source.label,
        ),
        legend=_(colour_by),
        translate=_,
    ),
    width="stretch",
)

story = next(
    s
    for s in state.sis_file(source.sis_files[story_row["split"]]).stories
    if s.story_id == story_id
)
slots = story_slots(story, state.source_photo_finder(source))
widgets.show_slots(slots, source.photo_credit, key="features")

left, right = st.columns(2)
vectors = store.get(sequence)  # (5, dimension)
labels = [f"{position}. {photo}" for position, photo in enumerate(sequence, start=1)]
with left:
    st.plotly_chart(
        figures.similarity_heatmap_figure(
            cosine_similarity_matrix(vectors),
            labels,
            title=_("Cosine similarity between the photos of story {story}").format(story=story_id),
            translate=_,
        ),
        width="stretch",
    )
with right:
    position = st.selectbox(_("Photo"), range(len(sequence)), format_func=lambda i: labels[i])
    st.plotly_chart(
        figures.strongest_dimensions_figure(
            strongest_dimensions(vectors[position], 20),
            title=_("Strongest {encoder} dimensions of photo {photo}").format(
                encoder=models.encoder_title(store.encoder), photo=sequence[position]
            ),
            names=feature_maps.dimension_names(store.encoder, store.dimension),
            translate=_,
        ),
        width="stretch",
    )
    st.caption(feature_maps.dimension_note(store.encoder, store.dimension))
