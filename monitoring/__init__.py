"""gitea-provider-monitoring: monitoring-as-code for the Crossplane Gitea provider."""

__version__ = "0.1.0"
