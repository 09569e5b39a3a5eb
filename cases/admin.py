"""Nothing of the case app is registered in the administration site.

Cases are never registered: the admin must not become a way around the per-case access gate.
Kinds of report, their categories, reporting levels, deadlines, reminders and check-in after
closure, and the units, are changed on the settings pages (/staff/settings/, the
``administration`` app): one audited change each with its values before and after, a weakening
one confirmed by a second administrator. A form here (or its history's "revert") would be a way
around that second person, so case types are not registered either (decision 0030).
"""
