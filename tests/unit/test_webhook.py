"""Webhook delivery against a real aiohttp receiver on 127.0.0.1: permanent refusals, slow
receivers, idempotency keys, shutdown in flight, a full disk under the spool; files' modes."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from bpfopa.output import AlertBuilder, DeadLetterFile, FieldRegistry, WebhookSink, sink_books
from bpfopa.policy import Rejection
from tests.conftest import free_port
from tests.http_receiver import serving
from tests.unit.test_sinks import doc, wait_for

BUILDER = AlertBuilder(FieldRegistry.load(), "host1")


def alert(n: int) -> dict[str, Any]:
    return BUILDER.build(doc(), rule=f"Rule {n}", priority="WARNING", output="m", tags=[])


class Receiver:
    """Records every request on arrival (key, rule), then answers as told."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.seen: list[tuple[str, str]] = []
        self.refuse: dict[str, int] = {}  # rule -> status
        self.delay_s = 0.0
        self.hang = False
        self.down = False

    async def handle(self, request: web.Request) -> web.Response:
        if self.down:
            return web.Response(status=503)
        body = await request.json()
        self.seen.append((request.headers.get("Idempotency-Key", ""), body["rule"]))
        if self.hang:
            await asyncio.sleep(3600)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.refuse.get(body["rule"], 200)
        return web.Response(status=status, text="too large" if status == 413 else "ok")

    def rules(self) -> list[str]:
        return [rule for _, rule in self.seen]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    async with serving(rec.handle, rec.port, shutdown_timeout=0.1):
        yield rec


def webhook(url: str, spool: Path, **kw: Any) -> WebhookSink:
    options: dict[str, Any] = {"attempts": 2, "retry_initial_s": 0.01, "retry_max_s": 0.02,
                               "replay_max_interval_s": 0.05, "close_timeout_s": 0.2,
                               **kw}  # fmt: skip
    return WebhookSink(url, spool, **options)


def dead_letters(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def balanced(sink: WebhookSink, published: int) -> bool:
    return bool(sink_books(published, published, {}, sink.counters())["balanced"])


async def test_413_dead_letters_that_alert_and_does_not_block(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.refuse = {"Rule 1": 413}
    sink = webhook(receiver.url, tmp_path / "spool")
    await sink.open()
    await sink.write([alert(i) for i in range(4)])
    await sink.aclose()
    assert receiver.rules() == ["Rule 0", "Rule 1", "Rule 2", "Rule 3"]  # 413 sent once
    counters = sink.counters()
    assert counters["delivered"] == 3 and counters["dropped_rejected"] == 1
    assert counters["pending"] == 0 and balanced(sink, 4)
    [letter] = dead_letters(tmp_path / "spool" / "rejected.jsonl")
    assert letter["status"] == 413 and letter["alert"]["rule"] == "Rule 1"
    assert "too large" in letter["reason"]


async def test_413_in_the_spool_is_dead_lettered_after_a_restart(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.down = True
    first = webhook(receiver.url, tmp_path / "spool")
    await first.open()
    await first.write([alert(i) for i in range(3)])
    await first.aclose()
    assert first.spooled == 3
    receiver.down = False
    receiver.refuse = {"Rule 0": 413}
    again = webhook(receiver.url, tmp_path / "spool")
    await again.open()
    await again.write([alert(3)])
    await wait_for(lambda: again.spooled == 0)
    await again.aclose()
    assert receiver.rules() == ["Rule 0", "Rule 1", "Rule 2", "Rule 3"]
    assert again.counters()["dropped_rejected"] == 1 and balanced(again, 1)


async def test_receiver_slower_than_the_timeout_gets_no_copy_storm(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.delay_s = 0.6
    sink = webhook(receiver.url, tmp_path / "spool", timeout_s=0.3, attempts=5)
    await sink.open()
    await sink.write([alert(0), alert(1)])
    await wait_for(lambda: sink.spooled == 0, 20)
    await sink.aclose()
    # 0.3 s timed out (no retry at once), the resend waits 1.2 s: two copies of the first,
    # the second queued behind it and sent once; before, 5 attempts meant 5 copies.
    assert receiver.rules() == ["Rule 0", "Rule 0", "Rule 1"]
    keys = [key for key, rule in receiver.seen if rule == "Rule 0"]
    assert keys[0] == keys[1] != ""  # the same Idempotency-Key: a receiver can dedup
    counters = sink.counters()
    assert counters["timeouts"] == 1 and counters["resent_after_timeout"] == 1
    assert counters["delivered"] == 2 and balanced(sink, 2)


async def test_idempotent_receiver_retries_a_timeout_with_the_same_key(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.delay_s = 0.4
    sink = webhook(receiver.url, tmp_path / "spool", timeout_s=0.2, attempts=2,
                   idempotent_receiver=True)  # fmt: skip
    await sink.open()
    first = alert(0)
    await sink.write([first])
    await wait_for(lambda: sink.spooled == 0, 20)
    await sink.aclose()
    assert {key for key, _ in receiver.seen} == {first["uuid"]}


async def test_post_cut_at_shutdown_is_not_resent_blindly(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.hang = True
    spool = tmp_path / "spool"
    sink = webhook(receiver.url, spool, timeout_s=60)
    await sink.open()
    task = asyncio.create_task(sink.write([alert(0)]))
    await wait_for(lambda: len(receiver.seen) == 1)
    task.cancel()  # the pipeline aborting with the POST in flight
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await sink.aclose()
    assert len(list(spool.glob("*.unacked"))) == 1
    receiver.hang = False
    again = webhook(receiver.url, spool)
    await again.open()
    await again.aclose()
    assert receiver.rules() == ["Rule 0"]  # not sent a second time
    [letter] = dead_letters(spool / "rejected.jsonl")
    assert "in flight at shutdown" in letter["reason"] and letter["alert"]["rule"] == "Rule 0"
    assert again.counters()["dropped_unacknowledged"] == 1 and balanced(again, 0)
    # To a receiver that dedups by key, the same cut POST is resent.
    receiver.hang = True
    third = webhook(receiver.url, spool, timeout_s=60)
    await third.open()
    task = asyncio.create_task(third.write([alert(1)]))
    await wait_for(lambda: len(receiver.seen) == 2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await third.aclose()
    receiver.hang = False
    last = webhook(receiver.url, spool, idempotent_receiver=True)
    await last.open()
    await wait_for(lambda: last.spooled == 0)
    await last.aclose()
    assert receiver.rules() == ["Rule 0", "Rule 1", "Rule 1"]
    assert receiver.seen[1][0] == receiver.seen[2][0]


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs: writes past it fail with ENOSPC."""
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


async def test_full_disk_under_the_spool_and_dead_letters(full_disk: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nobody listens: everything is spooled
    letters = DeadLetterFile(full_disk / "dead.jsonl", fsync_interval_s=0)
    sink = webhook(url, full_disk / "spool", dead_letter=letters, fsync_interval_s=0)
    await sink.open()
    big = [alert(i) for i in range(40)]
    for a in big:
        a["output"] = "x" * 4000  # 40 x 4 KB > 64 KiB
    await sink.write(big)
    await sink.aclose()
    counters = sink.counters()
    assert counters["dropped_spool_error"] > 0 and counters["spooled"] > 0
    assert counters["spooled"] + counters["dropped_spool_error"] == 40
    assert balanced(sink, 40)
    assert not list((full_disk / "spool").glob("*.tmp"))  # a failed write leaves nothing
    # The dead-letter file on the same full disk: records counted and logged, never raised.
    letters = DeadLetterFile(full_disk / "dead.jsonl", fsync_interval_s=0)
    for i in range(40):
        letters.add("alert", {"n": i, "pad": "y" * 4000}, reason="test")
    assert letters.write_errors > 0 and letters.count == 40
    letters.close()


def test_dead_letter_file_is_bounded_and_counts_what_it_drops(tmp_path: Path) -> None:
    path = tmp_path / "dead" / "letters.jsonl"
    letters = DeadLetterFile(path, max_bytes=2000, fsync_interval_s=0)
    for i in range(100):
        letters.add("alert", {"n": i}, reason="r" * 50)
    letters.close()
    kept = dead_letters(path) + dead_letters(path.with_name("letters.jsonl.1"))
    assert len(kept) + letters.dropped == 100 and letters.dropped > 0
    assert max(r["alert"]["n"] for r in kept) == 99  # the oldest went


def test_files_are_private_and_unreadable_by_nobody(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dead.jsonl"
    letters = DeadLetterFile(path)
    letters.add("alert", {"secret": "s3cr3t"}, reason="r")
    letters.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    tmp_path.chmod(0o755)  # pytest's own tmp dirs are 0700: open the way up to ours
    for parent in tmp_path.parents:
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    assert subprocess.run([*nobody, "ls", str(tmp_path)], capture_output=True).returncode == 0
    for target in (path, path.parent):
        read = subprocess.run([*nobody, "cat", str(target)], capture_output=True)
        assert read.returncode != 0 and b"s3cr3t" not in read.stdout
    # An existing file of ours is tightened, never widened.
    loose = tmp_path / "loose.jsonl"
    loose.write_text("")
    loose.chmod(0o644)
    DeadLetterFile(loose).close()
    assert loose.stat().st_mode & 0o777 == 0o600


async def test_spool_files_are_private(tmp_path: Path) -> None:
    spool = tmp_path / "state" / "spool"
    sink = webhook(f"http://127.0.0.1:{free_port()}/", spool)
    await sink.open()
    await sink.write([alert(0)])
    await sink.aclose()
    [entry] = spool.glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600
    assert spool.stat().st_mode & 0o777 == 0o700
    assert spool.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_rejected_documents_keep_no_secret(tmp_path: Path, mode: str) -> None:
    document = doc()
    document["process"]["env"] = ["HOME=/root", "AWS_SECRET_ACCESS_KEY=s3cr3t"]
    letters = DeadLetterFile(tmp_path / "dead.jsonl", document=mode)
    letters.write(Rejection(document, "eval_conflict_error", 500))
    letters.close()
    [record] = dead_letters(tmp_path / "dead.jsonl")
    assert b"s3cr3t" not in (tmp_path / "dead.jsonl").read_bytes()
    kept = record["document"]
    if mode == "summary":  # what `bpfopa run` keeps by default: what an alert would show
        assert set(kept) == {"output_fields", "process"}
        assert kept["output_fields"]["fd.name"] == "/etc/shadow" and kept["process"]["pid"] == 42
    else:
        assert kept["process"]["env"] == ["HOME=/root", "AWS_SECRET_ACCESS_KEY=***"]
    assert document["process"]["env"][1].endswith("s3cr3t")  # the caller's copy is untouched


async def test_alert_the_receiver_keeps_failing_stops_blocking(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.refuse = {"Rule 1": 500}  # a poison alert: 500 every time, the rest go through
    sink = webhook(receiver.url, tmp_path / "spool", poison_after=3)
    await sink.open()
    await sink.write([alert(i) for i in range(4)])
    await wait_for(lambda: sink.spooled == 0)
    await sink.aclose()
    rules = receiver.rules()
    assert rules.count("Rule 1") == 2 + 3  # 2 attempts in line, then 3 from the spool
    assert [r for r in rules if r != "Rule 1"] == ["Rule 0", "Rule 2", "Rule 3"]
    counters = sink.counters()
    assert counters["dropped_poison"] == 1 and counters["delivered"] == 3 and balanced(sink, 4)
    [letter] = dead_letters(tmp_path / "spool" / "rejected.jsonl")
    assert letter["alert"]["rule"] == "Rule 1" and "failed this alert 3 times" in letter["reason"]
