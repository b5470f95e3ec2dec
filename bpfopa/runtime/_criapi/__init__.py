"""The Kubernetes CRI (runtime.v1) messages and gRPC stubs, generated at build time.

``api.proto`` is k8s.io/cri-api v0.37.2's ``pkg/apis/runtime/v1/api.proto``, unchanged
(Apache-2.0, The Kubernetes Authors). ``api_pb2*`` are generated from it by the build backend
(build_backend/bpfopa_build.py) and are not in git.
"""
