"""The file store: one file per office, an audit log, locks and atomic writes, and the cache of large offices."""
