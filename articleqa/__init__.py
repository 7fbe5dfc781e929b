"""articleqa: offline question answering over articles, with cited source sentences."""
