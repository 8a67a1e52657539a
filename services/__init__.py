"""revflow's deployable services, in three tiers, plus the runtime they are all built on.

Services never import one another: they talk over HTTP and events, and share code only through
``contracts`` (data shapes) and ``services.runtime`` (plumbing). ``.importlinter`` enforces it.
"""
