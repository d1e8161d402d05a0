"""The shared PostgreSQL store: the store itself, its schema as numbered migrations, and its administration."""
