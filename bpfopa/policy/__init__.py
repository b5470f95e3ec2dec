"""Policy engine client: the pinned OPA binary, a managed OPA server and the batching client."""

from bpfopa.policy._binary import OPA_VERSION, find_opa, opa_version

__all__ = ["OPA_VERSION", "find_opa", "opa_version"]
