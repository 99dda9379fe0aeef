"""The real stack: etcd, kube-apiserver, Gitea, the provider binary, kube-state-metrics, our exporter (issue #27)."""
