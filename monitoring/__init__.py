"""gitea-provider-monitoring: monitoring-as-code for the Crossplane Gitea provider."""

from exporters.gitea_api import __version__  # the one version (see there)

__all__ = ["__version__"]
