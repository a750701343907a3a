"""Exports for auditors and admins: the general ledger."""
