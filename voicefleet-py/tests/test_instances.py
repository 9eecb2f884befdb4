"""Customer hosts as cloud instances from Python, against both implementations of the fleet
trait. The bindings are built without the ``aws`` feature (no EC2 SDK in the wheel), so the
console reads no cloud here: the report says so, and every action is refused with the console's
conflict and its hint (over HTTP: the routes' 409). The EC2 side is tested against moto in the
Rust suites (``ec2_`` tests)."""

from __future__ import annotations

import pytest

import voicefleet
from voicefleet.exceptions import InvalidInputError

from conftest import Fleet


def test_instances_without_a_provider(fleet: Fleet) -> None:
    console = fleet.console
    report = console.instances()
    assert isinstance(report, voicefleet.InstanceReport)
    assert report.provider is None and report.synced_at is None
    assert len(report.linked) == 0 and len(report.without_customer) == 0 and len(report.extra) == 0
    assert sorted(report.customers_without_instance) == ["acme", "globex"]
    assert "<table>" in report._repr_html_()
    actions = [
        console.sync_instances,
        lambda: console.start_instance("acme"),
        lambda: console.stop_instance("acme"),
        lambda: console.reboot_instance("acme"),
        lambda: console.resize_instance("acme", "t3.large"),
    ]
    for action in actions:
        with pytest.raises(voicefleet.ConflictError, match="no instance provider") as caught:
            action()
        assert caught.value.kind == "conflict"
        assert caught.value.hint is not None and "VOICEFLEET_EC2=1" in caught.value.hint
        assert caught.value.remedy == {"action": "configure_cloud", "subject": None}
    # Terminating asks for the customer's name, as the CLI does; a wrong one changes nothing.
    with pytest.raises(InvalidInputError, match="nothing changed"):
        console.terminate_instance("acme", confirm="not its name")
    name = console.customers.get("acme").name
    with pytest.raises(voicefleet.ConflictError, match="no instance provider"):
        console.terminate_instance("acme", confirm=name)
    assert console.status("acme").state == "running"
