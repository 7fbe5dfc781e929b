"""articleqa ui package."""
