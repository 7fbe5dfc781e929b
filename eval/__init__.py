"""articleqa eval package."""
