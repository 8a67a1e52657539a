"""System APIs: one canonical API per domain (crm, erp, billing, revrec); the only code that knows vendors exist."""
