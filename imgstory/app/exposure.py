"""Whether the app is served beyond this machine, and what visitors may then see and reach.

On 127.0.0.1 (the default, ``.streamlit/config.toml``) the visitor is the local user: any VIST
folder may be typed and paths are shown in full. Served on a network (``make app HOST=0.0.0.0``),
the sidebar offers only the folders given at start (``IMGSTORY_VIST_DIR``) and no server path
reaches a visitor; Streamlit's look-ups of this machine's addresses (a UDP connect to 8.8.8.8,
an HTTP request to checkip.amazonaws.com) are switched off either way.
"""

from __future__ import annotations

import streamlit as st

from imgstory.paths import data_dir

#: Addresses that reach this machine only.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: What a visitor reads instead of the data folder's path.
DATA_FOLDER = "<IMGSTORY_DATA_DIR>"


def served_beyond_this_machine() -> bool:
    """True when the server listens on an address other machines can reach (an empty
    ``server.address`` listens on every interface)."""
    return (st.get_option("server.address") or "0.0.0.0") not in LOOPBACK


def public_text(text: str) -> str:
    """``text`` as a visitor may read it: served beyond this machine, the data folder's path is
    replaced by :data:`DATA_FOLDER`."""
    if not served_beyond_this_machine():
        return text
    return text.replace(str(data_dir()), DATA_FOLDER)


def stop_address_lookups() -> None:
    """Make Streamlit's own address look-ups answer "unknown" without a network call: it asks
    8.8.8.8 and checkip.amazonaws.com to check a cross-origin request's origin."""
    from streamlit import net_util

    net_util.get_internal_ip = lambda: None
    net_util.get_external_ip = lambda: None
