"""gitea-provider-monitoring: monitoring-as-code for the Crossplane Gitea provider.

One import package made of the repository's folders (src/gitea_provider_monitoring links here and this folder
links the other three: docs/development.md, "Layout"). This folder, monitoring/, is the package itself, with
its layers model/ -> (alerts/, dashboards/) -> render/ -> delivery/, lint/, check/, cli.py; alerts/, dashboards/
and exporters/ are its sub-packages. Users import `gitea_provider_monitoring.api`.
"""

from gitea_provider_monitoring.exporters.gitea_api import __version__  # the one version (see there)

__all__ = ["__version__"]
