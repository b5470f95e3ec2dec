"""Socket fds as the network rules read them, with only the rules' own syscalls selected.

The rules ask for listen, accept and connect; the capture adds what the fd table needs to name
their sockets (socket, bind, accept, connect), so a listen document carries the bound address,
an accepted connection both ends and a connect its peer, even a refused one.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bpfopa.schema import SOCKET_STATE_SYSCALLS, with_socket_state
from tests.kernel.conftest import CaptureHarness
from tests.kernel.test_capture_syscalls import child_docs, free_port, run_child

RULE_SYSCALLS = frozenset({"listen", "accept", "accept4", "connect"})


def test_socket_state_follows_network_syscalls() -> None:
    assert with_socket_state(frozenset({"listen"})) >= SOCKET_STATE_SYSCALLS
    assert with_socket_state(frozenset({"openat"})) == {"openat"}


@pytest.fixture
def network_capture(capture_session: CaptureHarness) -> Iterator[CaptureHarness]:
    capture_session.reset()
    capture_session.source.select_syscalls(RULE_SYSCALLS)
    try:
        yield capture_session
    finally:
        capture_session.source.select_syscalls(())


def test_listen_accept_and_connect_name_their_ends(
    network_capture: CaptureHarness, tmp_path: object
) -> None:
    port, closed = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    child = run_child(
        network_capture,
        """
        srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[2]))); srv.listen(1)
        cli = socket.socket(); cli.connect(("127.0.0.1", int(sys.argv[2])))
        conn, _ = srv.accept()
        refused = socket.socket()
        try:
            refused.connect(("127.0.0.1", int(sys.argv[3])))
        except OSError:
            pass
        """,
        str(tmp_path),
        str(port),
        str(closed),
    )
    [listen] = child_docs(network_capture, child, "listen")
    fd = listen["event"]["fd"]
    assert (fd["type"], fd["proto"], fd["name"]) == ("ipv4", "tcp", f"127.0.0.1:{port}")
    [accept] = child_docs(network_capture, child, "accept4") or child_docs(
        network_capture, child, "accept"
    )
    fd = accept["event"]["fd"]
    peer = accept["event"]["params"]["upeer_sockaddr"]["port"]
    assert fd["num"] == accept["event"]["ret"], "the accepted connection's own fd"
    assert fd["name"] == f"127.0.0.1:{port}->127.0.0.1:{peer}"
    connects = child_docs(network_capture, child, "connect", count=2)
    by_port = {d["event"]["params"]["uservaddr"]["port"]: d for d in connects}
    assert by_port[port]["event"]["fd"]["remote"]["port"] == port
    refused_doc = by_port[closed]["event"]
    assert refused_doc["error"] == "ECONNREFUSED"
    assert refused_doc["fd"]["remote"]["port"] == closed, "a refused connect names its peer"
    assert refused_doc["fd"]["name"].endswith(f"->127.0.0.1:{closed}")
