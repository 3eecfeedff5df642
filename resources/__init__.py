"""The curated directory: HSDS-shaped models, seed data, import/export and search."""
