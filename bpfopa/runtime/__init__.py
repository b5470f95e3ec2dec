"""Container metadata from the container runtime: the Docker Engine API (Docker, podman,
cri-dockerd nodes) or the Kubernetes CRI over gRPC (containerd, CRI-O)."""

from bpfopa.runtime._cache import ContainerMetadata
from bpfopa.runtime._connect import DEFAULT_SOCKETS, RuntimeClient, connect
from bpfopa.runtime._engine import EngineClient
from bpfopa.runtime._metadata import Metadata, container_doc, from_inspect, image_names, pod_of

__all__ = [
    "DEFAULT_SOCKETS",
    "ContainerMetadata",
    "EngineClient",
    "Metadata",
    "RuntimeClient",
    "connect",
    "container_doc",
    "from_inspect",
    "image_names",
    "pod_of",
]
