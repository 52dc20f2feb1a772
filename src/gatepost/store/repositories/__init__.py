"""Repositories: one module per aggregate; every tenant-owned query takes ``tenant_id``."""
