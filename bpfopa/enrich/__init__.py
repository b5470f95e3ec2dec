"""Enrichment: kernel records plus process state become event documents."""

from bpfopa.enrich._builder import BuilderStats, DocumentBuilder

__all__ = ["BuilderStats", "DocumentBuilder"]
