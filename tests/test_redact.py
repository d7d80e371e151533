"""vectorlab.errors.redact: secrets never survive, and text without them is never garbled.

Property tests (hypothesis) compare with independent references: a whitespace tokenizer for short
secrets, plain substring search for long ones, the URL rebuilt by hand for userinfo passwords.
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vectorlab.errors import MIN_ANYWHERE_SECRET, redact

WORDS = string.ascii_letters + string.digits + ".-"
word = st.text(WORDS, min_size=1, max_size=12)
prose = st.lists(word, min_size=0, max_size=12).map(" ".join)
short_secret = st.text(string.ascii_letters + string.digits + ".-", min_size=1, max_size=MIN_ANYWHERE_SECRET - 1)
long_secret = st.text(string.printable.replace("*", ""), min_size=MIN_ANYWHERE_SECRET, max_size=40).filter(
    lambda s: s.strip() == s)
SHAPED_LIKE_A_TOKEN = re.compile(r"(?i)bearer|api-key|\b[sr]k-|eyJ|gh[opsur]_|github_pat_")


@settings(max_examples=300, deadline=None)
@given(text=prose, secret=short_secret)
def test_a_short_secret_is_hidden_only_where_it_is_a_whole_word(text, secret):
    assume(not SHAPED_LIKE_A_TOKEN.search(text))
    expected = re.sub(r"\S+", lambda m: "***" if m.group() == secret else m.group(), text)
    assert redact(text, [secret]) == expected
    if secret not in text.split():
        assert redact(text, [secret]) == text  # no garbling: "p" never eats the p of "port"


@settings(max_examples=200, deadline=None)
@given(before=st.text(max_size=30), after=st.text(max_size=30), secret=long_secret)
def test_a_long_secret_never_survives_anywhere(before, after, secret):
    shown = redact(before + secret + after + secret, [secret])
    assert secret not in shown


URL_SAFE_PASSWORD = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)
user = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
host = st.from_regex(r"[a-z][a-z0-9\-]{0,10}(\.[a-z]{2,5}){0,2}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(["postgresql", "postgres", "http", "https", "redis"]), user=user,
       password=URL_SAFE_PASSWORD, host=host, told=st.booleans())
def test_a_url_password_is_hidden_whatever_it_holds(scheme, user, password, host, told):
    # a short secret told to redact also hides the same whole word elsewhere: keep the rest of the text distinct
    assume(not told or password not in {user, host, scheme, "db", "5432", "could", "not", "connect", "to", "port",
                                        "failed"})
    url = f"{scheme}://{user}:{quote(password, safe='')}@{host}:5432/db"
    shown = redact(f'could not connect to {url} (port 5432 failed)', [password] if told else [])
    assert shown == f"could not connect to {scheme}://{user}:***@{host}:5432/db (port 5432 failed)"


@pytest.mark.parametrize("name", ["api_key", "key", "token", "access_token", "password", "sig", "secret",
                                  "client_secret", "API-KEY", "Signature", "apikey", "code", "pwd"])
def test_secret_query_parameters_are_hidden_and_others_kept(name):
    url = f"https://example.com/v1/embeddings?model=m1&{name}=Zx9_value-1&top=3#frag"
    assert redact(f"GET {url} -> 500") == f"GET https://example.com/v1/embeddings?model=m1&{name}=***&top=3#frag -> 500"


@settings(max_examples=300, deadline=None)
@given(text=st.text(string.ascii_letters + string.digits + " :/@?&=#.'\"-_", max_size=60),
       secrets=st.lists(st.one_of(short_secret, long_secret, st.none()), max_size=3))
def test_redacting_twice_changes_nothing_more(text, secrets):
    once = redact(text, secrets)
    assert redact(once, secrets) == once


@pytest.mark.parametrize(("text", "secrets", "expected"), [
    # the case: a one-character password garbled every "p"
    ('connection to server at "127.0.0.1", port 5432 failed: password authentication failed', ["p"],
     'connection to server at "127.0.0.1", port 5432 failed: password authentication failed'),
    ("postgresql://alice:p@127.0.0.1:5432/db", ["p"], "postgresql://alice:***@127.0.0.1:5432/db"),
    # an unencoded space in a DATABASE_URL password: the URL rule stops at the space, the known secret does not
    ("invalid URI postgresql://alice:my pass@db:5432/x", ["my pass"], "invalid URI postgresql://alice:***@db:5432/x"),
    ("invalid URI postgresql://alice:a b@db/x", ["a b"], "invalid URI postgresql://alice:***@db/x"),
    # the URL-encoded form of a secret is hidden too
    ("dsn postgresql://u:s%20cr%2Ft@h/d", ["s cr/t"], "dsn postgresql://u:***@h/d"),
    ("host=db user=bob password='a b c' dbname=x", [], "host=db user=bob password=*** dbname=x"),
    ("host=db password=hunter2 port=5432", [], "host=db password=*** port=5432"),
    ("Authorization: Bearer ghp_0123456789abcdefghij", [], "Authorization: ***"),
    ("Incorrect API key provided: sk-proj-****************************6789.", [],
     "Incorrect API key provided: ***."),
    ("echo: key01234...cdef01", ["key01234567890abcdef0123cdef01"], "echo: ***...***"),  # partly masked
    ("nothing secret here: key lengths, tokens per second, p < 0.05", [None, "", "   ", "***"],
     "nothing secret here: key lengths, tokens per second, p < 0.05"),
])
def test_examples(text, secrets, expected):
    assert redact(text, secrets) == expected
