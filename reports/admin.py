"""Nothing of the reports app is registered in the administration site.

The equality monitoring questions are changed on the settings pages
(/staff/settings/monitoring/): asking a question, rewording it or adding an answer waits for a
second administrator there, and a form here would be a way around that (decision 0030).
"""
