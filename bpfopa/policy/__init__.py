"""Policy engine client: the pinned OPA binary, a managed OPA server and the batching client."""

from bpfopa.policy._binary import OPA_VERSION, find_opa, opa_version
from bpfopa.policy._client import (
    DeadLetterFile,
    Evaluation,
    OpaClient,
    OpaClientConfig,
    PolicyAlert,
    Rejection,
    RuleFault,
)
from bpfopa.policy._opa_errors import check_status, opa_errors
from bpfopa.policy._prefilter import (
    PREFILTER_DATA_PATHS,
    Prefilter,
    PrefilterData,
    compile_go_regex,
    load_prefilter,
)
from bpfopa.policy._projection import (
    KeepSite,
    Projection,
    ProjectionPlan,
    derive_plan,
    exception_field_paths,
)
from bpfopa.policy._server import ManagedOpa, ServerState
from bpfopa.policy._validate import PolicyProblem, PolicyRefusedError, validate_policies

__all__ = [
    "OPA_VERSION",
    "PREFILTER_DATA_PATHS",
    "DeadLetterFile",
    "Evaluation",
    "KeepSite",
    "ManagedOpa",
    "OpaClient",
    "OpaClientConfig",
    "PolicyAlert",
    "PolicyProblem",
    "PolicyRefusedError",
    "Prefilter",
    "PrefilterData",
    "Projection",
    "ProjectionPlan",
    "Rejection",
    "RuleFault",
    "ServerState",
    "check_status",
    "compile_go_regex",
    "derive_plan",
    "exception_field_paths",
    "find_opa",
    "load_prefilter",
    "opa_errors",
    "opa_version",
    "validate_policies",
]
