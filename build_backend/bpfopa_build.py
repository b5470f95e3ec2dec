"""bpfopa's PEP 517 build backend: setuptools, after generating the CRI gRPC stubs.

The Kubernetes CRI messages and services are compiled from the vendored ``api.proto``
(bpfopa/runtime/_criapi/) by grpcio-tools, pinned in pyproject.toml's build-system, before every
wheel, editable install or sdist: the stubs always match the proto and the pinned protoc, and are
never edited or committed (.gitignore). An in-tree backend rather than a setup.sh step, so that
every route that builds bpfopa (``pip install -e``, ``pip wheel``, deploy/Dockerfile's offline
install) produces them the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import (  # noqa: F401  (the hooks that need no stubs, unchanged)
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

PROTO = Path("bpfopa/runtime/_criapi/api.proto")


def generate_cri_stubs(root: Path = Path()) -> None:
    """``api_pb2.py``, ``api_pb2.pyi`` and ``api_pb2_grpc.py`` beside the proto.

    The include root is the project root, so the generated modules import each other as
    ``bpfopa.runtime._criapi.api_pb2``.
    """
    from grpc_tools import protoc  # the build requirement, absent at run time

    args = [
        "grpc_tools.protoc",
        f"-I{root}",
        f"--python_out={root}",
        f"--pyi_out={root}",
        f"--grpc_python_out={root}",
        str(PROTO),
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed on {PROTO}")


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    generate_cri_stubs()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    generate_cri_stubs()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict[str, Any] | None = None) -> str:
    generate_cri_stubs()
    return _setuptools.build_sdist(sdist_directory, config_settings)
