"""Process APIs: durable quote-to-cash workflows. They call system APIs over HTTP only, never a vendor."""
