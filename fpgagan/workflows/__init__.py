"""End-to-end workflows that compose the stages (the CLI calls these)."""
