"""The stores: base.py is the interface both keep; files/ is the default store of TOML/JSON files,
postgres/ the shared PostgreSQL store."""
