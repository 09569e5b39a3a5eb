"""Trend reports for governance leads: counts over case rows and retention stubs in SQL, never
case content, with small numbers suppressed so that no report can single out a reporter.
"""
