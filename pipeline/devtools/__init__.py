"""Developer tooling: local servers for tests and the demo."""
