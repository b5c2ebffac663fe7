"""Golden sets and quality measurement (used by ``inkstream eval`` and the CI quality gate)."""
