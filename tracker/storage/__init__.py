"""Storage adapter: SQLAlchemy models, repositories and the unit of work (SQLite and PostgreSQL)."""
