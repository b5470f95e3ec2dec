"""A Docker Engine API client over its unix socket (podman's Docker-compatible socket too).

Only what the container metadata needs: ``/_ping``, container and image inspect, and the
``/events`` stream of container removals. Every failure surfaces as :class:`RuntimeApiError`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from bpfopa.errors import RuntimeApiError

__all__ = ["DEFAULT_SOCKETS", "EngineClient"]

#: Docker's socket, then rootful podman's (``podman system service``).
DEFAULT_SOCKETS: tuple[Path, ...] = (
    Path("/var/run/docker.sock"),
    Path("/run/podman/podman.sock"),
)
# Versionless paths: the engine answers with its own API version, and every field read here
# exists since API 1.24 (Docker 1.12), which podman's compat API also serves.
_BASE = "http://engine"


@contextlib.contextmanager
def _mapped(socket: Path, what: str) -> Iterator[None]:
    try:
        yield
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        raise RuntimeApiError(f"{socket}: {what}: {str(exc) or type(exc).__name__}") from exc


class EngineClient:
    """One engine socket. ``inspect_*`` return None for a 404 (not this engine's, or gone)."""

    def __init__(self, socket: Path, timeout_s: float = 5.0) -> None:
        self.socket = socket
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.UnixConnector(path=str(self.socket)), timeout=self._timeout
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get_json(self, path: str, what: str) -> Any:
        with _mapped(self.socket, what):
            async with self._http().get(_BASE + path) as resp:
                if resp.status == 404:
                    return None
                if resp.status != 200:
                    text = (await resp.text())[:200]
                    raise RuntimeApiError(f"{self.socket}: {what}: HTTP {resp.status}: {text}")
                return await resp.json(content_type=None)

    async def ping(self) -> str:
        """The engine's name and version ("Docker 20.10.24", "Podman Engine 5.4.0")."""
        info = await self._get_json("/version", "version")
        if not isinstance(info, dict):
            raise RuntimeApiError(f"{self.socket}: version: not an engine API")
        names = [c.get("Name") for c in info.get("Components") or [] if isinstance(c, dict)]
        name = "Podman Engine" if "Podman Engine" in names else "Docker"
        return f"{name} {info.get('Version', '?')}"

    async def inspect_container(self, container_id: str) -> dict[str, Any] | None:
        found = await self._get_json(f"/containers/{quote(container_id)}/json", "inspect")
        return found if isinstance(found, dict) else None

    async def inspect_image(self, image_id: str) -> dict[str, Any] | None:
        found = await self._get_json(f"/images/{quote(image_id)}/json", "image inspect")
        return found if isinstance(found, dict) else None

    async def removals(self) -> AsyncIterator[str]:
        """Full ids of containers as they are removed (the engine's ``destroy`` event)."""
        filters = json.dumps({"type": ["container"], "event": ["destroy"]})
        with _mapped(self.socket, "events"):
            # The stream stays open for as long as the engine runs: no total timeout.
            async with self._http().get(
                _BASE + "/events",
                params={"filters": filters},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            ) as resp:
                if resp.status != 200:
                    raise RuntimeApiError(f"{self.socket}: events: HTTP {resp.status}")
                async for line in resp.content:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    actor = event.get("Actor") if isinstance(event, dict) else None
                    full_id = actor.get("ID") if isinstance(actor, dict) else None
                    if isinstance(full_id, str):
                        yield full_id
