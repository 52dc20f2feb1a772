"""Persistence: SQLAlchemy tables, repositories, migrations and the media blob store."""
