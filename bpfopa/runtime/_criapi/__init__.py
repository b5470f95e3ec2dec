"""The Kubernetes CRI (runtime.v1) messages and gRPC stubs, generated at build time.

``api.proto`` is k8s.io/cri-api v0.37.2's ``pkg/apis/runtime/v1/api.proto``, unchanged
(Apache-2.0, The Kubernetes Authors; sha256 381aab5cf67425b3c90ab016489de661ccb83ed9f2120406
6dc5df83b9b83360; it imports nothing, gogoproto included). It is vendored rather than fetched
at build time so that builds are offline and reproducible (deploy/Dockerfile builds with no
network). ``api_pb2*`` are generated from it by the build backend
(build_backend/bpfopa_build.py) and are not in git.

To move to another CRI version: ``go mod download -json k8s.io/cri-api@vX`` and copy its
``pkg/apis/runtime/v1/api.proto`` here.
"""
