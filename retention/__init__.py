"""Retention: deleting case content on each case type's policy, provably and safely.

- ``models``: ``RetentionPolicy`` (content and reporter-token periods after closure),
  ``PolicyChange`` (a shortening, confirmed by a second administrator), ``LegalHold`` (sealed
  reason, review date) and ``DeletionRecord`` (counts only, one per purged case).
- ``selectors``: which cases are due (the one rule the purge and its dry run share), when the
  next fall due, what the reporter is told, whether their token still opens the case.
- ``services``: policies and holds, each checked against a named predicate and audited.
- ``purge``: the purge, which finds everything hanging off a case by reading every installed
  model, leaves the case row as an anonymous stub (``cases.services.STUB_FIELDS``) and shreds
  the case's key (``cases.keys.data_keys_destroy``), a batch of cases per transaction.
- ``events``: the audit events of purged cases, after their own period.
- ``ancillary``: stale sessions and submission keys, on their own schedules.

See docs/decisions/0021-retention.md, and 0004-audit-record.md for why audit events outlive
case content.
"""
