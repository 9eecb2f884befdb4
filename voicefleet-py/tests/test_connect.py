"""`Console.connect` only: where the URL and token come from, and what the console refuses."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

import voicefleet
from voicefleet.exceptions import ForbiddenError, InvalidInputError, UnauthorizedError, UnavailableError

from conftest import Fleet, free_port, run_python


def test_token_from_argument_environment_or_saved_login(served: Fleet, monkeypatch: Any, tmp_path: Any) -> None:
    assert served.server is not None
    url = served.server.url
    monkeypatch.delenv("VOICEFLEET_TOKEN", raising=False)
    monkeypatch.delenv("VOICEFLEET_CONSOLE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(UnauthorizedError) as caught:
        voicefleet.Console.connect(url).customers.list()
    assert caught.value.kind == "unauthorized"

    assert voicefleet.Console.connect(url, token=served.token).whoami().name == "admin"

    monkeypatch.setenv("VOICEFLEET_TOKEN", served.token)
    monkeypatch.setenv("VOICEFLEET_CONSOLE", url)
    assert [c.id for c in voicefleet.Console.connect().customers.list()] == ["acme", "globex"]

    monkeypatch.delenv("VOICEFLEET_TOKEN")
    monkeypatch.delenv("VOICEFLEET_CONSOLE")
    saved = tmp_path / "voicefleet" / "credentials.json"
    saved.parent.mkdir()
    saved.write_text(json.dumps({"console": url + "/", "token": served.token}))
    console = voicefleet.Console.connect()
    assert repr(console) == f"Console(remote={url!r})"
    assert console.whoami().role == "admin"
    # The saved token is only sent to the console it was saved for.
    other = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UnavailableError):
        voicefleet.Console.connect(other).customers.list()


def test_no_console_says_what_to_do(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.delenv("VOICEFLEET_CONSOLE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(InvalidInputError, match="voicefleet login"):
        voicefleet.Console.connect()
    with pytest.raises(InvalidInputError):
        voicefleet.Console.connect("ftp://example")


def test_viewer_is_forbidden_to_change(served: Fleet) -> None:
    token = served.console.tokens.create("viewer-script", "viewer").token
    assert token is not None
    assert served.server is not None
    viewer = voicefleet.Console.connect(served.server.url, token=token)
    assert [s.customer_id for s in viewer.status()] == ["acme", "globex"]
    with pytest.raises(ForbiddenError) as caught:
        viewer.customers.add("mallory", "http://127.0.0.1:9")
    assert caught.value.kind == "forbidden" and "admin role" in str(caught.value)
    with pytest.raises(ForbiddenError):
        viewer.restart("acme")
    assert [c.id for c in served.console.customers.list()] == ["acme", "globex"]  # nothing added


def test_a_script_in_another_process(served: Fleet) -> None:
    assert served.server is not None
    done = run_python(
        "import voicefleet; c = voicefleet.Console.connect();"
        "print(','.join(s.customer_id for s in c.status() if s.is_up))",
        env={"VOICEFLEET_CONSOLE": served.server.url, "VOICEFLEET_TOKEN": served.token},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "acme,globex"
