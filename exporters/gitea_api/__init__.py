"""gitea-api-exporter: Gitea API latency and availability as the provider's pod sees it."""

__version__ = "0.1.0"
