"""The embedded ledger: world state, key history and a hash-chained block log in one SQLite file."""
