"""The service layer: use cases that entrypoints (tasks, CLI) call inside a unit of work."""
