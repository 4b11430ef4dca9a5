"""Served beyond this machine (issue 29.6): Streamlit's start-up makes no outside connection,
the sidebar reads only the VIST folder given at start, and no server path reaches a visitor."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from devtools.appserver import REPO_ROOT, free_port, wait_healthy
from imgstory.app.markup import literal

APP = str(REPO_ROOT / "streamlit_app.py")
#: connect() to an address of this machine (or a local socket): the only ones allowed.
LOCAL = re.compile(r'sa_family=AF_(UNIX|NETLINK)|inet_addr\("127\.|inet_pton\(AF_INET6, "::1"')


def test_serving_on_every_interface_connects_nowhere_else(tmp_path):
    """`make app HOST=0.0.0.0` under strace: every connect() stays on this machine (Streamlit
    connected to 8.8.8.8 and asked checkip.amazonaws.com for the start-up's URLs)."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    trace, port = tmp_path / "connect.trace", free_port()
    command = [
        strace, "-f", "-e", "trace=connect", "-o", str(trace),
        sys.executable, "-m", "streamlit", "run", APP,
        "--server.port", str(port), "--server.address", "0.0.0.0",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # strace and the server stop together
    )
    try:
        wait_healthy(port, process, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
        time.sleep(2)  # the start-up's URL printing runs after the server answers
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    calls = [line for line in trace.read_text().splitlines() if "connect(" in line]
    outside = [line for line in calls if not LOCAL.search(line)]
    assert outside == [], outside


@pytest.fixture
def served_on_network(tmp_path, monkeypatch):
    """The app as `make app HOST=0.0.0.0` runs it, with a data folder and a VIST folder given."""
    monkeypatch.setenv("IMGSTORY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMGSTORY_VIST_DIR", "")
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield tmp_path
    config.set_option("server.address", before)


def test_served_on_a_network_the_sidebar_offers_only_the_folders_given_at_start(
    served_on_network,
):
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.sidebar.radio[-1].set_value("VIST folder")
    app.run()
    assert not app.exception
    assert [field.label for field in app.sidebar.text_input] == []  # no path can be typed
    (folders,) = [box for box in app.sidebar.selectbox if box.label == "VIST folder"]
    assert folders.options == []  # none given at start


def test_served_on_a_network_no_server_path_reaches_the_page(served_on_network):
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    app.switch_page("app_pages/human.py")
    app.run()
    shown = "\n".join(element.value for element in app.caption)
    assert "Database: " + literal("<IMGSTORY_DATA_DIR>/human/default.sqlite") in shown
    assert str(served_on_network) not in shown
