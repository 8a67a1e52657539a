"""Experience APIs: the finance-ops console, the CRM panel and the partner API. They call process APIs only."""
