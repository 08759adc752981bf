"""refprep never reaches the network with its bundled models: build and check run with Python's
socket creation blocked (characters are often unreleased work)."""

from __future__ import annotations

import socket

import pytest

import refprep

from conftest import FIXTURES


@pytest.fixture
def no_sockets(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("refprep tried to open a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_build_and_check_open_no_socket(no_sockets, tmp_path):
    result = refprep.build([FIXTURES / "sheet_row4_gradient.png"], out_dir=tmp_path)
    assert len(result.manifest["views"]) == 4
    report = refprep.check([FIXTURES / "single_front_white.png"])
    assert report["images"][0]["views"]
