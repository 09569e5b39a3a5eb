import pytest
from django.contrib.sessions.backends.db import SessionStore

from cases.models import Case
from cases.tokens import token_digest
from tests.builders import make_case
from tests.dbdump import dump_values, encodings_of, table_names


@pytest.mark.django_db
def test_no_table_holds_a_token_in_any_encoding_and_the_stored_value_is_the_hmac():
    made = [make_case(state="acknowledged", with_token=True) for _ in range(5)]
    # A session row exists too, as it will once reporters follow up.
    session = SessionStore()
    session["follow_up_case"] = str(made[0][0].pk)
    session.save()

    tables = table_names()
    assert "cases_historicalcase" in tables
    assert "django_session" in tables

    forms = set().union(*(encodings_of(token) for _, token in made))
    leaks = [(table, form) for table, value in dump_values() for form in forms if form in value]
    assert leaks == []

    for case, token in made:
        digest = Case.objects.values_list("token_digest", flat=True).get(pk=case.pk)
        assert digest is not None
        stored = bytes(digest)
        assert stored == token_digest(token)
        assert len(stored) == 32


@pytest.mark.django_db
def test_history_does_not_copy_the_token_digest(case):
    history_fields = {f.name for f in case.history.model._meta.get_fields()}
    assert "token_digest" not in history_fields
