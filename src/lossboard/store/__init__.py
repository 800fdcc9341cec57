"""The index store: every point of every run, kept in a database and queried fast.

Files stay the source of truth; the store is an index that can always be rebuilt from them.
`base.Store` is the contract; `sqlite` (the embedded default) and `postgres` (for teams)
implement it; `indexer` fills it from log directories; `lossboard.query` reads it.
"""
