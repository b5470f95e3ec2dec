"""Alert shape and sinks: file (with rotation), stdout (JSON / escaped text), webhook (real
aiohttp receiver on 127.0.0.1, with outages and an on-disk spool)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from bpfopa.decode import escape_for_terminal
from bpfopa.output import (
    AlertBuilder,
    FieldRegistry,
    FileSink,
    StdoutSink,
    WebhookSink,
    falco_time,
    priority_rank,
)
from tests.conftest import free_port
from tests.http_receiver import serving

BUILDER = AlertBuilder(FieldRegistry.load(), "host1")


def doc(path: str = "/etc/shadow", name: str = "cat") -> dict[str, Any]:
    return {
        "event": {
            "name": "openat", "time": "2026-11-28T09:30:00.123456789Z", "ret": 3,
            "error": None, "path": path, "fd": {"num": 3, "type": "file", "name": path},
        },
        "process": {
            "pid": 42, "name": name, "exe": "/usr/bin/cat", "cmdline": f"{name} {path}",
            "user": "root", "uid": 0, "container": None, "parent": {"name": "bash"},
        },
        "repeat": 2,
    }  # fmt: skip


def alert(n: int = 0, **kw: Any) -> dict[str, Any]:
    return BUILDER.build(
        doc(**kw), rule=f"Rule {n}", priority="WARNING", output=f"message {n}", tags=["b", "a"],
        rule_id=f"r{n}",
    )  # fmt: skip


def test_alert_has_falco_shape() -> None:
    a = alert()
    assert a["time"] == "2026-11-28T09:30:00.123456789Z"
    assert a["priority"] == "Warning" and a["source"] == "syscall" and a["hostname"] == "host1"
    assert a["output"].startswith("09:30:00.123456789: Warning message 0 (evt_type=openat user=")
    assert a["tags"] == ["a", "b"]
    fields = a["output_fields"]
    assert fields["proc.name"] == "cat" and fields["fd.name"] == "/etc/shadow"
    assert fields["container.id"] == "host" and fields["evt.type"] == "openat"
    assert fields["proc.pname"] == "bash" and fields["evt.count"] == 2
    assert fields["evt.res"] == "SUCCESS" and fields["user.name"] == "root"
    assert "input" not in a  # the document stays on the host unless --alert-document full
    assert a["process"]["pid"] == 42 and a["process"]["name"] == "cat"


def test_priorities() -> None:
    assert priority_rank("Critical") < priority_rank("warning") < priority_rank("INFO")
    with pytest.raises(ValueError, match="unknown priority"):
        priority_rank("loud")
    assert falco_time("2026-11-28T09:30:00.5Z") == "09:30:00.500000000"


def test_terminal_escaping() -> None:
    hostile = "a\x1b[2J\rb\u202ec\x00é"
    escaped = escape_for_terminal(hostile)
    assert "\x1b" not in escaped and "\r" not in escaped and "\u202e" not in escaped
    assert escaped == "a\\x1b[2J\\rb\\u202ec\\x00é"


async def test_stdout_tty_is_escaped_text_and_pipe_is_json() -> None:
    hostile = alert(path="/tmp/\x1b]0;pwned\x07")
    tty = io.BytesIO()
    await StdoutSink(tty, tty=True).write([hostile])
    text = tty.getvalue().decode()
    assert "\x1b" not in text and "\x07" not in text and "\\x1b]0;pwned\\x07" in text
    assert text.startswith("[Rule 0] 09:30:00.123456789: Warning message 0 (evt_type=openat")
    pipe = io.BytesIO()
    sink = StdoutSink(pipe, tty=False)
    await sink.write([alert(1), alert(2)])
    lines = pipe.getvalue().splitlines()
    assert [orjson.loads(line)["rule"] for line in lines] == ["Rule 1", "Rule 2"]
    assert sink.counters()["delivered"] == 2


async def test_file_sink_follows_rotation(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    sink = FileSink(path)
    await sink.open()
    await sink.write([alert(1), alert(2)])
    # Flushed per batch: a reader sees the lines before the sink is closed.
    assert len(path.read_bytes().splitlines()) == 2
    path.rename(tmp_path / "alerts.jsonl.1")
    sink.request_reopen()  # what SIGHUP does
    await sink.write([alert(3)])
    await sink.aclose()
    assert [orjson.loads(x)["rule"] for x in path.read_bytes().splitlines()] == ["Rule 3"]
    rotated = (tmp_path / "alerts.jsonl.1").read_bytes().splitlines()
    assert [orjson.loads(x)["rule"] for x in rotated] == ["Rule 1", "Rule 2"]
    assert sink.counters() == {"delivered": 3, "reopened": 1}


class Receiver:
    """A falcosidekick stand-in: a real HTTP server that can be switched down (503)."""

    def __init__(self) -> None:
        self.down = False
        self.rules: list[str] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"

    async def handle(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503)
        body = await request.json()
        assert request.headers["Content-Type"] == "application/json"
        self.rules.append(body["rule"])
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    async with serving(rec.handle, rec.port):
        yield rec


def webhook(url: str, spool: Path, **kw: Any) -> WebhookSink:
    return WebhookSink(url, spool, attempts=2, retry_initial_s=0.01, retry_max_s=0.02,
                       replay_max_interval_s=0.05, **kw)  # fmt: skip


async def wait_for(predicate: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_webhook_spools_while_down_and_replays_in_order(
    receiver: Receiver, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    sink = webhook(receiver.url, spool)
    await sink.open()
    await sink.write([alert(0)])
    receiver.down = True
    await sink.write([alert(i) for i in range(1, 5)])
    assert sink.spooled == 4 and len(list(spool.glob("*.json"))) == 4
    receiver.down = False
    await sink.write([alert(5)])  # queued behind the spool, not sent ahead of it
    await wait_for(lambda: sink.spooled == 0)
    await sink.aclose()
    assert receiver.rules == [f"Rule {i}" for i in range(6)]
    counters = sink.counters()
    assert counters["delivered"] == 6 and counters["replayed"] == 5
    assert list(spool.glob("*.json")) == []


async def test_webhook_spool_survives_restart(receiver: Receiver, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    receiver.down = True
    sink = webhook(receiver.url, spool, close_timeout_s=0.1)
    await sink.open()
    await sink.write([alert(i) for i in range(3)])
    await sink.aclose()
    assert len(list(spool.glob("*.json"))) == 3 and receiver.rules == []
    receiver.down = False
    again = webhook(receiver.url, spool)
    await again.open()
    await again.write([alert(3)])
    await wait_for(lambda: again.spooled == 0)
    await again.aclose()
    assert receiver.rules == [f"Rule {i}" for i in range(4)]


async def test_webhook_spool_is_bounded(tmp_path: Path) -> None:
    sink = webhook(f"http://127.0.0.1:{free_port()}/", tmp_path / "spool", max_spool=2,
                   close_timeout_s=0.05)  # fmt: skip
    await sink.open()
    await sink.write([alert(i) for i in range(5)])
    await sink.aclose()
    counters = sink.counters()
    assert counters["spooled"] == 5 and counters["dropped_spool_full"] == 3
    assert counters["pending"] == 2
    # The oldest went: what is spooled is what happened last.
    left = sorted((tmp_path / "spool").glob("*.json"))
    assert [orjson.loads(p.read_bytes())["rule"] for p in left] == ["Rule 3", "Rule 4"]
