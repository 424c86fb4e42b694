"""Offline engines for AWS pattern languages: EventBridge patterns, CloudWatch Logs filters."""
