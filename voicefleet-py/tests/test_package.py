"""The installed package: one abi3 extension (CPython 3.9+), its stubs and py.typed, the version
of the workspace, and one exception table."""

from __future__ import annotations

import importlib.metadata
import os
import re

import voicefleet
import voicefleet.exceptions

from conftest import ROOT


def test_the_wheel_is_abi3_and_carries_its_stubs() -> None:
    files = {str(f) for f in importlib.metadata.files("voicefleet") or []}
    assert "voicefleet/_voicefleet.abi3.so" in files, sorted(files)
    assert {"voicefleet/_voicefleet.pyi", "voicefleet/py.typed"} <= files
    requires = importlib.metadata.metadata("voicefleet")["Requires-Python"]
    assert requires == ">=3.9"


def test_version_is_the_workspace_version() -> None:
    with open(os.path.join(ROOT, "Cargo.toml")) as file:
        match = re.search(r'^version = "([^"]+)"', file.read(), re.MULTILINE)
    assert match is not None and voicefleet.__version__ == match.group(1)


def test_one_exception_table() -> None:
    errors = voicefleet.exceptions
    kinds = [errors.InvalidInputError, errors.NotFoundError, errors.ConflictError, errors.UnauthorizedError,
             errors.ForbiddenError, errors.UnavailableError, errors.InternalError]
    assert all(issubclass(kind, errors.VoicefleetError) for kind in kinds)
    assert len(set(kinds)) == 7 and voicefleet.NotFoundError is errors.NotFoundError
    assert set(errors.__all__) == {k.__name__ for k in kinds} | {"VoicefleetError"}


def test_every_public_method_has_a_docstring_with_an_example() -> None:
    import inspect

    from voicefleet._namespaces import Audit, Configs, Customers, Secrets, Tokens, Users

    classes = [voicefleet.Console, Customers, Configs, Secrets, Users, Tokens, Audit, voicefleet.Bulk,
               voicefleet.BulkRun, voicefleet.Logs, voicefleet.Table, voicefleet.ConfigDocument,
               voicefleet.BulkReport, voicefleet.CustomerStatus]
    missing = []
    for cls in classes:
        for name, member in vars(cls).items():
            if name.startswith("_"):
                continue
            function = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
            if not inspect.isfunction(function):
                continue
            if ">>>" not in (inspect.getdoc(function) or ""):
                missing.append(f"{cls.__name__}.{name}")
    for function in (voicefleet.template_names, voicefleet.json_schema):
        if ">>>" not in (function.__doc__ or ""):
            missing.append(function.__name__)
    assert missing == [], "\n".join(missing)
