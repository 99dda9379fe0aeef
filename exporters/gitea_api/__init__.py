"""gitea-api-exporter: Gitea API latency and availability as the provider's pod sees it."""

# The one version of the project: the CLI, this exporter's build_info, the image tag and the package
# (pyproject reads it) all use it. It lives here because the exporter image ships this package alone.
__version__ = "0.1.0"
