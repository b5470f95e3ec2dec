"""Which API a runtime socket serves: the Docker Engine API or the CRI (gRPC).

Decided by asking, not by the socket's name (a cri-dockerd or renamed socket would defeat a
name rule): the Docker Engine API's ``GET /version`` first, then the CRI's ``Version``. Each
fails within moments on the other kind (a gRPC server closes on an HTTP/1.1 request; an HTTP/1.1
server answers gRPC's preface with 400), so the order only costs a round trip at start.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from bpfopa.errors import RuntimeApiError
from bpfopa.runtime._engine import DEFAULT_SOCKETS as ENGINE_SOCKETS
from bpfopa.runtime._engine import EngineClient

if TYPE_CHECKING:
    # gRPC and the generated stubs are imported only once a socket turns out to serve the CRI:
    # they cost their share of memory on every host, Docker-only ones included.
    from bpfopa.runtime._cri import CriClient

__all__ = ["DEFAULT_SOCKETS", "RuntimeClient", "connect"]

RuntimeClient: TypeAlias = "EngineClient | CriClient"

#: containerd's and CRI-O's default sockets.
CRI_SOCKETS = (Path("/run/containerd/containerd.sock"), Path("/run/crio/crio.sock"))
#: Docker's, rootful podman's, containerd's and CRI-O's sockets, asked in this order.
DEFAULT_SOCKETS: tuple[Path, ...] = (*ENGINE_SOCKETS, *CRI_SOCKETS)


async def connect(
    socket: Path, timeout_s: float = 5.0, reconcile_s: float = 10.0
) -> tuple[RuntimeClient, str]:
    """A client for the API ``socket`` serves, and the runtime's name and version
    (``reconcile_s``: see :class:`CriClient`).

    Raises :class:`RuntimeApiError` naming both failures when neither API answers.
    """
    engine = EngineClient(socket, timeout_s)
    try:
        return engine, await engine.ping()
    except RuntimeApiError as exc:
        engine_error = exc
        await engine.aclose()
    from bpfopa.runtime._cri import CriClient  # lazily: see the import above

    cri = CriClient(socket, timeout_s, reconcile_s)
    try:
        return cri, await cri.ping()
    except RuntimeApiError as exc:
        await cri.aclose()
        raise RuntimeApiError(
            f"{socket}: serves neither the CRI ({_detail(exc, socket)}) nor the Docker Engine "
            f"API ({_detail(engine_error, socket)})"
        ) from exc


def _detail(exc: RuntimeApiError, socket: Path) -> str:
    """The first line of a client's error, without the socket (said once) and bounded: an
    HTTP client's error on a gRPC server quotes the server's binary frames."""
    # aiohttp quotes the frames with escaped newlines: the first line of either kind.
    line = re.split(r"\n|\\n", str(exc).removeprefix(f"{socket}: "))[0]
    return line if len(line) <= 100 else line[:99] + "…"
