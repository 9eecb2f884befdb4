"""SIGTERM as a drain and SIGHUP as a reload, for plain, threaded and asyncio agents."""

from __future__ import annotations

import asyncio
import inspect
import signal
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._reporter import ConfigError, Reporter, config

Callback = Callable[..., Any]

_lock = threading.Lock()
_callbacks: Dict[int, List[Tuple[Callback, Optional[asyncio.AbstractEventLoop]]]] = {}
_installed: Dict[int, Any] = {}


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def register(signum: int, callback: Callback, reporter: Reporter) -> None:
    """Runs `callback` on every `signum`: an `async def` one as a task on the event loop that
    was running when it was registered, a plain one on a thread of its own (so it may block,
    wait for calls or shut a server down without deadlocking the code the signal interrupted).
    """
    loop = _running_loop()
    if inspect.iscoroutinefunction(callback) and loop is None:
        raise RuntimeError(
            "an async callback must be registered from inside the running event loop "
            "(call on_drain/on_reload in your async main)"
        )
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("signal callbacks must be registered from the main thread")
    with _lock:
        _callbacks.setdefault(signum, []).append((callback, loop))
        if signum not in _installed:
            _installed[signum] = signal.signal(signum, lambda s, f: _dispatch(s, reporter))


def _dispatch(signum: int, reporter: Reporter) -> None:
    # In the signal handler: nothing here writes to stdout or takes the reporter's lock, so an
    # event being written when the signal arrived is never interrupted halfway.
    if signum == signal.SIGTERM:
        reporter._draining = True  # noqa: SLF001 - a plain store is signal-safe
    with _lock:
        callbacks = list(_callbacks.get(signum, []))
    for callback, loop in callbacks:
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(_run_on_loop, callback, signum, reporter)
        else:
            threading.Thread(
                target=_run_in_thread, args=(callback, signum, reporter), name=f"voicefleet-signal-{signum}"
            ).start()


def _arguments(signum: int, reporter: Reporter) -> Optional[Tuple[Any, ...]]:
    """A reload callback gets the re-read configuration; a drain callback nothing."""
    if signum != signal.SIGHUP:
        return ()
    try:
        return (config(),)
    except ConfigError as error:
        reporter.error("reload_failed", str(error))
        return None


def _report_failure(reporter: Reporter, signum: int, error: BaseException) -> None:
    kind = "reload_failed" if signum == signal.SIGHUP else "drain_failed"
    reporter.error(kind, f"{type(error).__name__}: {error}")
    print(f"voicefleet_agent: {kind}: {error!r}", file=sys.stderr, flush=True)


def _run_on_loop(callback: Callback, signum: int, reporter: Reporter) -> None:
    if signum == signal.SIGTERM:
        reporter.start_drain()
    arguments = _arguments(signum, reporter)
    if arguments is None:
        return
    try:
        result = _call(callback, arguments)
    except Exception as error:  # noqa: BLE001 - reported, never fatal
        _report_failure(reporter, signum, error)
        return
    if inspect.isawaitable(result):
        task = asyncio.ensure_future(result)

        def done(task: "asyncio.Future[Any]") -> None:
            if not task.cancelled() and task.exception() is not None:
                _report_failure(reporter, signum, task.exception())  # type: ignore[arg-type]

        task.add_done_callback(done)
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)


_tasks: "set[asyncio.Future[Any]]" = set()


def _run_in_thread(callback: Callback, signum: int, reporter: Reporter) -> None:
    if signum == signal.SIGTERM:
        reporter.start_drain()
    arguments = _arguments(signum, reporter)
    if arguments is None:
        return
    try:
        _call(callback, arguments)
    except Exception as error:  # noqa: BLE001
        _report_failure(reporter, signum, error)


def _call(callback: Callback, arguments: Tuple[Any, ...]) -> Any:
    """Passes the configuration only to a callback that takes an argument."""
    if arguments:
        try:
            parameters = inspect.signature(callback).parameters.values()
            takes = any(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters
            )
        except (TypeError, ValueError):
            takes = True
        if not takes:
            arguments = ()
    return callback(*arguments)


def reset() -> None:
    """Forgets every callback and restores the signal handlers found (for tests)."""
    with _lock:
        for signum, previous in _installed.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        _installed.clear()
        _callbacks.clear()
