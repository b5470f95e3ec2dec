"""Prometheus metrics of the pipeline and the HTTP endpoint that serves them."""

from bpfopa.metrics._metrics import PipelineMetrics
from bpfopa.metrics._server import MetricsServer, parse_listen_address

__all__ = ["MetricsServer", "PipelineMetrics", "parse_listen_address"]
