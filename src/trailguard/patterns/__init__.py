"""Offline engines for AWS pattern languages: EventBridge event patterns, CloudWatch Logs filters."""
