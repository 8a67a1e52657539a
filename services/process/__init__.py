"""Process APIs: multi-step finance workflows over the system APIs."""
