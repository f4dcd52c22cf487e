"""Finding every code reference in a coder's mail."""
