"""Container metadata from the container runtime (Docker Engine API, podman's compatible one)."""

from bpfopa.runtime._cache import ContainerMetadata
from bpfopa.runtime._engine import DEFAULT_SOCKETS, EngineClient
from bpfopa.runtime._metadata import Metadata, container_doc, from_inspect, image_names, pod_of

__all__ = [
    "DEFAULT_SOCKETS",
    "ContainerMetadata",
    "EngineClient",
    "Metadata",
    "container_doc",
    "from_inspect",
    "image_names",
    "pod_of",
]
