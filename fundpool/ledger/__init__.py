"""The double-entry ledger: plain Python over SQLAlchemy sessions, no Flask.

See docs/ledger.md for the chart of accounts, the locking design and what the
hash chain guarantees.
"""
