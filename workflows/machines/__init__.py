"""One module per workflow, each declaring ``WORKFLOW = WorkflowSpec(...)``.

``workflows/registry.py`` imports every module here; adding a process is adding a module.
See docs/how-to.md.
"""
