"""The code store: versioned reference tables (ICD-10-CM/PCS, HCPCS, CPT numbers, PFS, NCCI).

Public API:
- ``consultant.codes.store.open_store(engine) -> SqlCodeStore`` (implements ``model.CodeStore``; one
  shared, cached instance per engine; extra: ``modifier_description``, ``search``, ``refresh``).
- ``consultant.codes.releases``: ``load_file(engine, kind, path)``, ``load_dir(engine, dir)``,
  ``load_staged_data(engine, data_dir, include_ptp)``, ``ensure_icd10cm(engine)``,
  ``list_releases(engine)``, ``scan_dir(dir)``, ``create_schema(engine)`` (tests),
  ``ensure_schema(engine)``.
- ``consultant.codes.errors.LoadError(file, line, reason)``.

Dates: a lookup answers from the newest release (per table) whose effective date is on or before
the date of service; HCPCS termination dates and NCCI deletion dates are the last day in force.
"""
