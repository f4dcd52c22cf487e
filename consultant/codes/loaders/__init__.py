"""Loaders of the code store: one module per source file family.

Each loader module offers ``matches(name) -> bool`` (recognizes CMS file names), ``describe(path)
-> SourceMeta`` (system, version, effective date, read from the file name or its content) and
``load(conn, release_id, path, progress) -> int`` (inserts the rows of one release inside the
caller's transaction; raises LoadError on bad input)."""
