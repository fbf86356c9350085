"""The deployment files (container image, compose, Kubernetes), checked without Docker or a cluster."""
