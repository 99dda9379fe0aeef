"""Exporters that run beside the provider. Each stands alone: prometheus-client, requests, pyyaml only."""
