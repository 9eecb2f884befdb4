"""The fleet from Python, against both implementations of the fleet trait: the embedded console
(`Console.open`) and a console server (`Console.connect`), each over real host agents."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import voicefleet
from voicefleet.exceptions import InvalidInputError, NotFoundError, VoicefleetError

from conftest import SECRETS, Fleet, wait_until


def test_customers_list_get_tag(fleet: Fleet) -> None:
    console = fleet.console
    customers = console.customers.list()
    assert [c.id for c in customers] == ["acme", "globex"]
    assert [c.id for c in console.customers.list("tier=prod")] == ["acme"]
    assert [c.id for c in console.customers.list({"tier": "staging"})] == ["globex"]
    assert [c.id for c in console.customers.list(["globex"])] == ["globex"]
    acme = console.customers.get("acme")
    assert acme.endpoint.rstrip("/") == fleet.hosts["acme"].url and acme.name == "Acme"
    assert isinstance(acme.created_at, datetime) and acme.created_at.tzinfo == timezone.utc
    assert acme.deployed_revision == 1
    tagged = console.customers.tag("acme", add={"region": "eu"})
    assert tagged.tags == {"tier": "prod", "region": "eu"}
    assert console.customers.tag("acme", remove=["region"]).tags == {"tier": "prod"}
    assert "Customer(id='acme'" in repr(acme)
    assert "<table>" in acme._repr_html_() and "<td>acme</td>" in customers._repr_html_()


def test_add_and_remove_customer(fleet: Fleet) -> None:
    console = fleet.console
    added = console.customers.add("initech", "http://127.0.0.1:9", tags=["tier=dev"])
    assert added.tags == {"tier": "dev"} and added.deployed_revision is None
    with pytest.raises(voicefleet.ConflictError, match="already exists") as caught:
        console.customers.add("initech", "http://127.0.0.1:9")
    assert caught.value.kind == "conflict"
    with pytest.raises(InvalidInputError) as invalid:
        console.customers.add("Not An Id", "http://127.0.0.1:9")
    assert invalid.value.kind == "invalid_input" and invalid.value.hint
    # Host endpoints are https except on loopback; a pin is checked and kept normalised.
    with pytest.raises(InvalidInputError, match="https"):
        console.customers.add("plain", "http://10.0.1.17:8000")
    with pytest.raises(InvalidInputError, match="64 hex digits"):
        console.customers.add("badpin", "https://10.0.1.17:8000", pin_sha256="12:34")
    pinned = console.customers.add("pinned", "https://127.0.0.1:9", pin_sha256="AB:" * 31 + "AB")
    assert pinned.id == "pinned"
    console.customers.remove("pinned")
    down = console.status("initech")
    assert (down.state, down.reachable) == ("unreachable", False)
    console.customers.remove("initech")
    with pytest.raises(NotFoundError):
        console.customers.get("initech")


def test_status_values_and_dataframe(fleet: Fleet) -> None:
    console = fleet.console
    wait_until(lambda: all((s.calls_total or 0) > 0 for s in console.status()), 30, "calls on every agent")
    statuses = console.status()
    assert len(statuses) == 2 and all(s.is_up for s in statuses)
    acme = console.status("acme")
    assert acme.state == "running" and acme.pid is not None and acme.pid > 0
    assert isinstance(acme.uptime, timedelta) and acme.uptime > timedelta(0)
    assert acme.deployed_revision == 1 and acme.running_revision == 1 and not acme.drift
    frame = statuses.to_pandas()
    assert list(frame.customer_id) == ["acme", "globex"]
    assert str(frame.dtypes["uptime"]) == "timedelta64[ns]"
    assert str(frame.dtypes["last_seen"]) == "datetime64[ns, UTC]"
    assert str(frame.dtypes["pid"]) == "Int64"
    assert str(frame.dtypes["reachable"]) == "bool"
    assert str(frame.dtypes["state"]) == "string"
    assert str(frame.dtypes["cpu_percent"]) == "float64"
    assert (frame.state == "running").all()


def test_configs_get_set_diff_history_rollback_deploy(fleet: Fleet) -> None:
    console = fleet.console
    document = console.configs.get("globex")
    assert isinstance(document, voicefleet.ConfigDocument)
    assert console.configs.get("globex", "runtime.start_seconds") == 1
    assert [i for i in console.configs.validate("globex") if i["severity"] == "error"] == []
    before = console.configs.history("globex")[0].number
    revision = console.configs.set("globex", "agent_settings.llm.temperature", 0.2, "cooler")
    assert revision.number == before + 1 and revision.message == "cooler" and not revision.deployed
    assert console.configs.get("globex", "agent_settings.llm.temperature") == 0.2
    changes = console.configs.diff("globex", before)
    assert [(c.path, c.new) for c in changes] == [("agent_settings.llm.temperature", 0.2)]
    history = console.configs.history("globex")
    assert [r.number for r in history][:2] == [before + 1, before]
    back = console.configs.rollback("globex", before, "undo")
    assert back.number == before + 2
    assert console.configs.diff("globex", before, back.number) == []
    deployed = console.configs.deploy("globex")
    assert deployed.number == back.number and deployed.deployed
    wait_until(lambda: console.status("globex").running_revision == back.number, 30, "the new revision running")
    unset = console.configs.unset("globex", "runtime.env.LOG_LEVEL", "default log level")
    with pytest.raises(NotFoundError):
        console.configs.get("globex", "runtime.env.LOG_LEVEL", revision=unset.number)


def test_refused_config_raises_invalid_input_with_issues(fleet: Fleet) -> None:
    console = fleet.console
    before = console.configs.history("acme")[0].number
    with pytest.raises(InvalidInputError) as caught:
        console.configs.set("acme", "agent_settings.llm.temperature", 9, "too hot")
    error = caught.value
    assert isinstance(error, VoicefleetError) and error.kind == "invalid_input"
    assert {"path": "agent_settings.llm.temperature", "code": "out_of_range"}.items() <= error.issues[0].items()
    assert console.configs.history("acme")[0].number == before  # nothing changed
    missing = console.configs.validate("acme", {**console.configs.get("acme").to_dict(), "version": 3})
    assert ("version", "out_of_range") in {(i["path"], i["code"]) for i in missing}


def test_secrets_are_write_only(fleet: Fleet) -> None:
    console = fleet.console
    console.secrets.set("acme", "extra_key", "s3cr3t-value")
    names = console.secrets.names("acme")
    assert "extra_key" in [s.name for s in names]
    assert "s3cr3t-value" not in repr(names) + names._repr_html_()
    console.secrets.remove("acme", "extra_key")
    assert "extra_key" not in [s.name for s in console.secrets.names("acme")]
    with pytest.raises(InvalidInputError):
        console.secrets.set("acme", "not a name!", "x")
    # The live key check, from the host, against the stand-in provider (it knows the OpenAI key).
    checks = {k.secret: k for k in console.secrets.check("acme")}
    assert checks["openai_api_key"].verdict == "valid", checks
    assert checks["deepgram_api_key"].verdict == "invalid", checks
    assert checks["openai_api_key"].path == "agent_settings.llm"
    assert SECRETS["openai_api_key"] not in repr(checks)
    only = console.secrets.check("acme", "openai_api_key")
    assert [k.secret for k in only] == ["openai_api_key"]
    with pytest.raises(InvalidInputError):
        console.secrets.check("acme", "not_used_anywhere")


def test_control_restart_gives_a_new_pid(fleet: Fleet) -> None:
    console = fleet.console
    old_pid = console.status("globex").pid
    restarted = console.restart("globex", drain_timeout=1)
    assert restarted.customer_id == "globex"
    status = wait_until(
        lambda: (lambda s: s if s.state == "running" and s.pid not in (None, old_pid) else None)(console.status("globex")),
        30, "globex running under a new pid",
    )
    assert status.pid != old_pid
    with pytest.raises(InvalidInputError, match="0 to 43200"):
        console.restart("globex", drain_timeout=-1)


def test_logs_tail_and_metrics(fleet: Fleet) -> None:
    console = fleet.console
    lines = wait_until(lambda: console.logs("acme").tail(20), 30, "log lines")
    assert 0 < len(lines) <= 20
    seqs = [line.seq for line in lines]
    assert seqs == sorted(seqs) and lines[-1].time.tzinfo == timezone.utc
    samples = wait_until(lambda: console.metrics("acme", since="10m"), 30, "metrics samples")
    assert all(s.customer_id == "acme" for s in samples)
    frame = samples.to_pandas()
    assert str(frame.dtypes["at"]) == "datetime64[ns, UTC]" and len(frame) == len(samples)
    assert console.metrics("acme", since=timedelta(minutes=10))
    assert console.metrics("acme", since=datetime.now(timezone.utc) - timedelta(minutes=10))
    with pytest.raises(InvalidInputError):
        console.metrics("acme", since="ten minutes")
    with pytest.raises(InvalidInputError, match="time zone"):
        console.metrics("acme", since=datetime.now())


def test_bulk_dry_run_plan_and_restart_wait_events(fleet: Fleet) -> None:
    console = fleet.console
    plan_only = console.bulk.restart("all", max_concurrency=1, canary=1, dry_run=True)
    assert plan_only.dry_run and plan_only.plan.targets == ("acme", "globex")
    assert plan_only.plan.canary == ("acme",) and plan_only.plan.max_concurrency == 1
    assert plan_only.wait().outcome == "dry_run"
    run = console.bulk.restart("tier=staging", max_concurrency=1)
    assert run.plan.targets == ("globex",)
    events = list(run.events(timeout=60))
    assert events[-1].kind == "finished" and events[-1].outcome == "succeeded"
    states = [e.state for e in events if e.kind == "target"]
    assert states[-1] == "succeeded"
    report = run.wait(timeout=5)
    assert report.ok and report.count("succeeded") == 1
    assert report.id in [r.id for r in console.bulk.list(5)]
    assert console.bulk.get(report.id).report.outcome == "succeeded"
    with pytest.raises(InvalidInputError):
        console.bulk.restart("tier=staging", max_concurrency="lots")


def test_bulk_patch_with_canary(fleet: Fleet) -> None:
    console = fleet.console
    run = console.bulk.patch(
        "all", set={"agent_settings.llm.temperature": 0.4}, message="bulk edit", max_concurrency=1,
        canary=1, healthy_for=0.5, auto_rollback=True,
    )
    report = run.wait(timeout=120)
    assert report.outcome == "succeeded", report.targets
    assert all(console.configs.get(c, "agent_settings.llm.temperature") == 0.4 for c in ("acme", "globex"))
    frame = report.targets.to_pandas()
    assert set(frame.state) == {"succeeded"} and frame.canary.sum() == 1


def test_alerts_audit_and_admin(fleet: Fleet) -> None:
    console = fleet.console
    assert isinstance(list(console.alerts(include_resolved=True)), list)
    entries = console.audit.list(limit=1000)
    assert any(e.action.startswith("customer") for e in entries)
    assert console.audit.verify().ok
    user = console.users.add(f"viewer-{fleet.mode}", "viewer", "a long enough password 1")
    assert user.role == "viewer" and user.name in [u.name for u in console.users.list()]
    token = console.tokens.create(f"script-{fleet.mode}", "viewer", expires_in=timedelta(hours=1))
    assert token.token and token.token not in repr(token) and token.expires_at is not None
    assert token.id in [t.id for t in console.tokens.list()]
    console.tokens.revoke(token.id)
    assert [t.revoked for t in console.tokens.list() if t.id == token.id] == [True]
    console.users.remove(user.name)
    with pytest.raises(InvalidInputError, match="viewer, operator or admin"):
        console.users.add("x", "superuser", "a long enough password 2")


def test_not_found_and_unavailable(fleet: Fleet) -> None:
    console = fleet.console
    with pytest.raises(NotFoundError) as caught:
        console.status("nobody")
    assert caught.value.kind == "not_found"
    with pytest.raises(NotFoundError):
        console.logs("nobody").tail()
    console.customers.add("down", "http://127.0.0.1:9")
    try:
        with pytest.raises(voicefleet.UnavailableError):
            console.start("down")
    finally:
        console.customers.remove("down")
