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


# --- passwords a driver cuts into pieces: the real psycopg/libpq, a port that refuses (127.0.0.1:1) -----------

import logging  # noqa: E402

import psycopg  # noqa: E402
from exception_chains import exception_chain  # noqa: E402

from vectorlab import vectordb  # noqa: E402

# Each holds what libpq splits at: an unencoded '@' (it ends the password at the first one and quotes the rest
# as the host), a space (it quotes the spaced value), ':' (the port) and '/' (it stops looking for a password).
CUT_PASSWORDS = ["p@ssw0rd!", "Sup3r@Secret-Pass-42", "Winter 2024@corp", "Horse:Battery:Staple",
                 "Gr33n/Leaf@Tree", "pa/ssW0RD", "p@ss/w:rd", "my secret pass", "ab@34", "Tu rn:st/le@Gate99"]


# libpq (through psycopg) quotes a fragment of these: as the host, the port or the spaced value it refuses.
LIBPQ_QUOTES_A_PIECE = ["p@ssw0rd!", "Sup3r@Secret-Pass-42", "Winter 2024@corp", "p@ss/w:rd",
                        "my secret pass", "ab@34", "Tu rn:st/le@Gate99"]


def twin(password):
    """The same shape with other characters: a fragment found in both messages is the message's own text."""
    return "".join("Z" if c.isupper() else "z" if c.isalpha() else "9" if c.isdigit() else c for c in password)


def fragments_shown(password, text, twin_text):
    """Every piece of ``password`` (2 characters or more) shown in ``text`` that is not template text."""
    pieces = {password[i:j] for i in range(len(password)) for j in range(i + 2, len(password) + 1)}
    return sorted(piece for piece in pieces if piece in text and piece not in twin_text)


def everything_said(error, records):
    """Every text a user, a debugger or a log handler may see: the whole chain (messages, args, attributes)
    and every log record of the attempt, at DEBUG level, from every logger (psycopg's included)."""
    texts = [text for link in exception_chain(error) for text in (str(link), repr(link.args), repr(vars(link)))]
    return "\n".join(texts + [record.getMessage() for record in records])


def debug_logs(caplog):
    """Every logger at DEBUG, psycopg's too (it sets itself to WARNING unless told otherwise)."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="psycopg")


def failed_connection(url, via, monkeypatch, caplog, tmp_path=None):
    caplog.clear()
    debug_logs(caplog)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if via == "argument":
        call = lambda: vectordb.connect(url, connect_timeout=3)  # noqa: E731
    elif via == "DATABASE_URL":
        monkeypatch.setenv("DATABASE_URL", url)
        call = lambda: vectordb.connect(connect_timeout=3)  # noqa: E731
    else:  # .env at the project root
        (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
        monkeypatch.setenv("VECTORLAB_ROOT", str(tmp_path))
        call = lambda: vectordb.connect(connect_timeout=3)  # noqa: E731
    with pytest.raises(vectordb.DatabaseConnectionError) as caught:
        call()
    return caught.value, everything_said(caught.value, caplog.records)


@pytest.mark.parametrize("via", ["argument", "DATABASE_URL", ".env"])
@pytest.mark.parametrize("password", CUT_PASSWORDS)
def test_no_fragment_of_a_password_anywhere_after_a_failed_connection(password, via, monkeypatch, caplog,
                                                                      tmp_path):
    error, said = failed_connection(f"postgresql://admin:{password}@127.0.0.1:1/app", via, monkeypatch, caplog,
                                    tmp_path)
    _, twin_said = failed_connection(f"postgresql://admin:{twin(password)}@127.0.0.1:1/app", via, monkeypatch,
                                     caplog, tmp_path)
    assert fragments_shown(password, said, twin_said) == [], said
    message = str(error)
    source = {"argument": r"the database_url argument", "DATABASE_URL": r"\bDATABASE_URL\b(?! in \.env)",
              ".env": r"DATABASE_URL in \.env"}[via]
    assert re.search(source, message), message
    assert "Fix:" in message and "postgresql://USER:PASSWORD@HOST" in message


@pytest.mark.parametrize(("password", "why"), [
    ("p@ssw0rd!", "2 '@' signs before the host"),
    ("Sup3r@Secret-Pass-42", "2 '@' signs before the host"),
    ("Winter 2024@corp", "holds a space"),
    ("Gr33n/Leaf@Tree", "2 '@' signs before the host"),
    ("pa/ssW0RD", "a '/' comes before the '@'"),
])
def test_a_password_libpq_would_misread_is_refused_before_anything_is_sent(password, why, caplog):
    # The URLs: libpq read 'ssw0rd!@127.0.0.1' as the host, and psycopg logged it while resolving it.
    debug_logs(caplog)
    with pytest.raises(vectordb.DatabaseConnectionError, match=why) as caught:
        vectordb.connect(f"postgresql://admin:{password}@127.0.0.1:1/app", connect_timeout=3)
    assert "not a valid PostgreSQL connection string" in str(caught.value) and "%40" in str(caught.value)
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]  # nothing was attempted


def test_the_debug_log_is_watched(monkeypatch, caplog):
    # the checks above can fail: a URL libpq reads right is attempted, and psycopg logs the attempt
    _, said = failed_connection("postgresql://admin:Horse:Battery:Staple@127.0.0.1:1/app", "argument",
                                monkeypatch, caplog)
    assert "connection attempt: host: '127.0.0.1'" in said and "Staple" not in said


@pytest.mark.parametrize("password", CUT_PASSWORDS)
def test_redact_hides_every_piece_libpq_quotes_back(password):
    # Straight to psycopg/libpq (no vectorlab check first): whatever it says about the URL, redact() given
    # the password as its author meant it leaves no fragment of it.
    def libpq_says(secret):
        try:
            psycopg.connect(f"postgresql://admin:{secret}@127.0.0.1:1/app", connect_timeout=3).close()
        except psycopg.Error as error:
            return str(error)
        raise AssertionError("port 1 accepted a connection")

    said, twin_said = libpq_says(password), libpq_says(twin(password))
    if password in LIBPQ_QUOTES_A_PIECE:  # the raw message does show a fragment: this test can fail
        assert fragments_shown(password, said, twin_said)
    assert fragments_shown(password, redact(said, [password]), redact(twin_said, [twin(password)])) == []


CUT = st.sampled_from(["@", ":", "/", " ", "@@", ", "])
piece = st.text(string.ascii_letters + string.digits + "!-_.", min_size=1, max_size=14)
TEMPLATE_WORDS = {"failed", "to", "resolve", "host", "127.0.0.1", "port", "1"}


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(piece, min_size=2, max_size=4), cuts=st.lists(CUT, min_size=3, max_size=3),
       quoted=st.integers(min_value=0, max_value=3))
def test_every_piece_of_a_cut_secret_is_hidden_where_a_driver_quotes_it(pieces, cuts, quoted):
    # a secret made of pieces joined by what drivers cut at; the driver quotes one piece (as psycopg quotes
    # the host libpq read after the first '@'): that piece never shows, the message around it stays
    assume(not set(pieces) & TEMPLATE_WORDS and all(p.strip("._-!") for p in pieces))
    secret = "".join(p + c for p, c in zip(pieces, cuts + [""], strict=False))
    shown_piece = pieces[quoted % len(pieces)]
    text = f"failed to resolve host '{shown_piece}@127.0.0.1' port 1"
    assert redact(text, [secret]) == "failed to resolve host '***@127.0.0.1' port 1"
