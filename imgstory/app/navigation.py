"""The app's pages in one table: the router builds its navigation from it, and Home lists it."""

from __future__ import annotations

from dataclasses import dataclass

from imgstory.app.i18n import N_


@dataclass(frozen=True)
class PageInfo:
    """A page: its script ``app_pages/<name>.py`` (and URL ``/<name>``), its title and icon,
    and what it shows in a few words (Home's page list); texts marked with ``N_``."""

    name: str
    title: str
    icon: str
    summary: str

    @property
    def script(self) -> str:
        """The page's script, relative to the app's folder."""
        return f"app_pages/{self.name}.py"


HOME = PageInfo("home", N_("Home"), "home", N_("what IMG_Story does"))
PAGES = (
    HOME,
    PageInfo("explore", N_("Dataset explorer"), "search", N_("albums, photos and their stories")),
    PageInfo("generate", N_("Generate"), "edit_note", N_("upload photos and get a story")),
    PageInfo(
        "features",
        N_("Feature plots"),
        "scatter_plot",
        N_("maps and similarities of photo features"),
    ),
    PageInfo(
        "compare",
        N_("Model comparison"),
        "bar_chart",
        N_("metrics with intervals, published results"),
    ),
    PageInfo("thesis", N_("Thesis results"), "school", N_("the presentation view")),
    PageInfo(
        "human",
        N_("Human evaluation"),
        "groups",
        N_("blind pairwise and Turing studies of the stories"),
    ),
)
