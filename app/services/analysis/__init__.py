"""Joint analysis: cases and their link graph, trends, practices."""
