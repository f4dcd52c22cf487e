"""The official checks (rules): one small module each, listed in one registry."""
