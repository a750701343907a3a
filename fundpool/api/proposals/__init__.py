"""Reserve pool endpoints: project proposals and their review."""
