import hashlib
import hmac
import math

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from cases.exceptions import CaseNotFound
from cases.tokens import (
    ALPHABET,
    TOKEN_LENGTH,
    reference_generate,
    token_digest,
    token_display,
    token_generate,
    token_normalize,
)
from permissions.access import case_for_reporter_token
from tests.builders import make_case


@pytest.mark.slow
def test_ten_thousand_tokens_are_unique_and_carry_at_least_128_bits():
    tokens = {token_generate() for _ in range(10_000)}
    assert len(tokens) == 10_000
    bits = TOKEN_LENGTH * math.log2(len(set(ALPHABET)))
    assert len(set(ALPHABET)) == len(ALPHABET) == 32
    assert bits >= 128
    assert all(len(t) == TOKEN_LENGTH and set(t) <= set(ALPHABET) for t in tokens)


def test_tokens_use_every_character_of_the_alphabet():
    # A generator stuck on part of the alphabet would carry fewer bits than computed.
    seen = set("".join(token_generate() for _ in range(200)))
    assert seen == set(ALPHABET)


def test_alphabet_has_no_ambiguous_characters():
    assert not set("ILOU") & set(ALPHABET)


def test_token_is_shown_in_groups_of_four():
    token = "0123456789ABCDEFGHJKMNPQRSTV"
    assert token_display(token) == "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV"


@pytest.mark.parametrize(
    "typed",
    [
        "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",
        "0123 4567 89ab cdef ghjk mnpq rstv",
        "  0123456789abcdefghjkmnpqrstv\n",
        "O123-4567-89AB-CDEF-GHJK-MNPQ-RSTV",  # letter O for zero
        "0I23-4567-89AB-CDEF-GHJK-MNPQ-RSTV",  # I for one
        "0l23_4567.89AB CDEF-GHJK-MNPQ-RSTV",  # l for one, odd separators
        "".join(chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHJKMNPQRSTV"),  # full-width
    ],
)
def test_typed_tokens_are_read_forgivingly(typed):
    assert token_normalize(typed) == "0123456789ABCDEFGHJKMNPQRSTV"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0123-4567",
        "0123456789ABCDEFGHJKMNPQRSTVW",  # one too many
        "0123456789ABCDEFGHJKMNPQRSTU",  # U is not in the alphabet
        "0123456789ABCDEFGHJKMNPQRST!",
        "x" * 10_000,
        None,
        b"0123456789ABCDEFGHJKMNPQRSTV",
        12345,
    ],
)
def test_malformed_tokens_normalise_to_nothing(typed):
    assert token_normalize(typed) is None


@pytest.mark.slow
@given(st.text(max_size=300))
def test_normalising_never_raises(typed):
    result = token_normalize(typed)
    assert result is None or (len(result) == TOKEN_LENGTH and set(result) <= set(ALPHABET))


def test_digest_is_hmac_sha256_under_the_pepper_not_the_secret_key():
    token = token_generate()
    expected = hmac.new(settings.SPEAKUP_TOKEN_PEPPER, token.encode(), hashlib.sha256).digest()
    assert token_digest(token) == expected
    assert settings.SECRET_KEY.encode() != settings.SPEAKUP_TOKEN_PEPPER


def test_references_are_random_and_short():
    refs = {reference_generate() for _ in range(1000)}
    assert len(refs) == 1000
    assert all(len(r) == 9 and r[4] == "-" for r in refs)


@pytest.mark.django_db
def test_token_typed_loosely_finds_its_case():
    case, token = make_case(with_token=True)
    typed = token_display(token).lower().replace("-", " ").replace("0", "o")
    assert case_for_reporter_token(typed) == case


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    [
        "wrong",
        "0123456789ABCDEFGHJKMNPQRSTV",
        "",
        "x" * 1_000_000,
        "\x00\udcff" * 20,
        None,
        ["a list"],
        "'; DROP TABLE cases_case; --",
    ],
)
def test_any_wrong_or_malformed_token_gets_the_same_not_found(typed):
    make_case()
    with pytest.raises(CaseNotFound) as raised:
        case_for_reporter_token(typed)
    assert str(raised.value) == CaseNotFound.message
