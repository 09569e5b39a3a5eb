"""The registry of workflows: reads each module of ``workflows/machines/`` and makes its model.

Each ``WorkflowSpec`` becomes a proxy model of ``Case`` whose django-fsm transitions are its
steps, so all cases share one table while a whistleblowing case cannot take a bullying step. A
generated transition only moves the state and sets what belongs to the move (the day a case
closes, cleared when it reopens); ``workflows/services.py`` does the rest.

Case types are data: each names a workflow by its key, and the keys offered are the registered
ones. A new process is one new module in ``workflows/machines/``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from django.db.models import signals
from django.utils import timezone
from django_fsm import transition

from cases.models import CASE_HISTORY, Case, workflow_choices_register, workflow_choices_remove
from permissions.roles import CasePerm
from workflows.spec import Step, WorkflowSpec

_SPECS: dict[str, WorkflowSpec] = {}
_MODELS: dict[str, type[Case]] = {}


def _move(spec: WorkflowSpec, step: Step) -> Callable[[Case], None]:
    closes = step.target in spec.closed_states

    def move(self: Case) -> None:
        # django-fsm runs this before it sets the target, so ``self.state`` is the source.
        if closes:
            self.closed_on = timezone.localdate()
        elif self.state in spec.closed_states:
            self.closed_on = None

    move.__name__ = move.__qualname__ = step.name
    move.__doc__ = str(step.label)
    return transition(field="state", source=list(step.sources), target=step.target)(move)  # type: ignore[no-any-return]


def _model(spec: WorkflowSpec) -> type[Case]:
    meta = type("Meta", (), {"proxy": True, "app_label": "workflows"})
    attrs: dict[str, Any] = {
        "__module__": "workflows.models",
        "__doc__": str(spec.description),
        "Meta": meta,
        "SPEC": spec,
        # The staff wording of each state, for templates and labels.
        "STATES": {state.name: state.staff for state in spec.states},
    }
    for step in spec.steps:
        attrs[step.name] = _move(spec, step)
    proxy = type(spec.model_name, (Case,), attrs)
    # Django sends post_save with the proxy class as sender, and simple-history listens for
    # the concrete Case only: connect the proxy to the same history table.
    for signal, receiver in _history_receivers():
        signal.connect(receiver, sender=proxy, weak=False)
    return proxy


def _history_receivers() -> list[tuple[signals.ModelSignal, Callable[..., None]]]:
    return [
        (signals.post_save, CASE_HISTORY.post_save),
        (signals.pre_delete, CASE_HISTORY.pre_delete),
        (signals.post_delete, CASE_HISTORY.post_delete),
    ]


def register(spec: WorkflowSpec) -> type[Case]:
    """Add a workflow and return its model. Registering the same spec again is harmless."""
    known = _SPECS.get(spec.key)
    if known is not None:
        if known is not spec:
            raise ValueError(f"Another workflow is already registered as {spec.key!r}.")
        return _MODELS[spec.key]
    for step in spec.steps:
        if step_perm(step.name) != step.perm and _named(step.name):
            raise ValueError(
                f"Step {step.name!r} needs another grant in a workflow already registered: a "
                "step's name must say which grant it needs (the gate asks before it reads "
                "the case's workflow)."
            )
    _SPECS[spec.key] = spec
    _MODELS[spec.key] = _model(spec)
    workflow_choices_register(spec.key, spec.label)
    return _MODELS[spec.key]


def unregister(key: str) -> None:
    """Remove a workflow registered by a test, model and all. Never used by the application:
    a workflow that case types use must stay."""
    from django.apps import apps

    _SPECS.pop(key)
    proxy = _MODELS.pop(key)
    workflow_choices_remove(key)
    for signal, receiver in _history_receivers():
        signal.disconnect(receiver, sender=proxy)
    del apps.all_models["workflows"][proxy._meta.model_name or ""]
    apps.clear_cache()


def load() -> None:
    """Register every module in ``workflows/machines/`` (each declares ``WORKFLOW``)."""
    from workflows import machines

    for info in sorted(pkgutil.iter_modules(machines.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{machines.__name__}.{info.name}")
        register(module.WORKFLOW)


def _named(name: str) -> bool:
    return any(spec.step(name) is not None for spec in _SPECS.values())


def step_perm(name: str) -> CasePerm:
    """The per-case grant a step called ``name`` needs (``Step.perm``): the same in every
    workflow that has the step (``register`` refuses otherwise), so a request to take it is
    put to the gate before the case, and so its workflow, is read. Working the case for a
    name no workflow has (the step is then refused as unknown)."""
    for spec in _SPECS.values():
        step = spec.step(name)
        if step is not None:
            return step.perm
    return CasePerm.WORK


def spec_of(key: str) -> WorkflowSpec:
    """The workflow registered as ``key``; ``KeyError`` for an unknown one."""
    return _SPECS[key]


def state_label(workflow: str, state: str) -> str:
    """How staff see ``state`` of ``workflow`` (its ``staff`` wording); the state's own name if
    the workflow no longer has it."""
    found = spec_of(workflow).state(state)
    return str(found.staff) if found else state


def model_of(key: str) -> type[Case]:
    return _MODELS[key]


def as_workflow_case(case: Case) -> Case:
    """The same row as its workflow's model (a proxy of ``Case``: the same table and fields,
    with the workflow's steps as transitions), made from the values already read, not read
    again. Its type, category and unit come along as they were loaded."""
    model = model_of(case.case_type.workflow)
    if type(case) is model:
        return case
    fields = model._meta.concrete_fields
    moved = model.from_db(
        case._state.db, [f.attname for f in fields], [getattr(case, f.attname) for f in fields]
    )
    for relation in ("case_type", "category", "org_unit"):
        if Case._meta.get_field(relation).is_cached(case):  # type: ignore[union-attr]
            setattr(moved, relation, getattr(case, relation))
    return moved


def specs() -> list[WorkflowSpec]:
    """Every registered workflow, in the order registered."""
    return list(_SPECS.values())
