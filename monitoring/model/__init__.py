"""The model: config, rules, dashboards, catalog and the helpers definitions are written with.

The bottom layer of the library: it imports nothing of ours but itself and the exporter (its version,
histogram buckets and duration syntax); definitions (alerts/, dashboards/, users' extensions) build on it.
Users import it through `gitea_provider_monitoring.api`.
"""
