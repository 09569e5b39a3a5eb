"""Retention: deleting case data on each case type's policy schedule.

Not built yet. What it will build on: ``CaseType.retention_days``
and ``Case.closed_on`` to find what is due, ``cases.keys.data_key_destroy`` to crypto-shred a
case, and the rule that history tables are purged explicitly (they have no foreign keys).
See docs/decisions/0004-audit-record.md for why audit events outlive case content.
"""
