"""The code store: versioned reference tables (ICD-10-CM/PCS, HCPCS, CPT numbers, PFS, NCCI)."""
