"""The revrec system API: contracts, schedules and verification around the pure rev-rec engine."""
