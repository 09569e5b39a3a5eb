"""What the workflows tell the layers above them, which they may not import
(``pyproject.toml``'s layers): a step taken and an appeal's decision-maker given the case, for
the notifications to act on (``notifications/receivers.py``)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``workflows.services.case_transition`` inside the step's transaction, once the step
# is recorded, with ``case`` (moved, under its row lock), ``source`` (the state it left) and
# ``step`` (``workflows.spec.Step``). A receiver that raises undoes the step.
step_taken = Signal()
# Sent by ``workflows.services.case_appoint_decider`` inside its transaction, once the grant
# is made, with ``case`` and ``assignee`` (the person given the appeal to decide).
decider_appointed = Signal()
