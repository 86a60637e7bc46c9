"""The PostgreSQL backend's health check (apps.core.postgresql): no round trip, yet a connection
the server closed is found and replaced before a request uses it."""

import select
import tempfile
import time

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections


@pytest.fixture(autouse=True)
def _fresh_connection_afterwards():
    yield
    connection.close()  # the tests kill or dirty it: the next test opens its own


pytestmark = [
    pytest.mark.postgres("the backend under test is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),  # the connection is killed: no test transaction around it
]


def _server_closes_it() -> None:
    """Terminate this connection's backend from another session and wait until its socket says so."""
    pid = connection.connection.info.backend_pid
    settings = connection.get_connection_params()
    with psycopg.connect(**{**settings, "autocommit": True}) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    poller = select.poll()
    poller.register(connection.connection.pgconn.socket, select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + 5
    while not poller.poll(50) and time.monotonic() < deadline:
        pass


def test_backend_is_ours():
    connection.ensure_connection()
    assert type(connections[DEFAULT_DB_ALIAS]).__module__ == "apps.core.postgresql.base"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]


def test_a_healthy_connection_is_usable_without_a_query():
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:  # libpq writes every protocol message it sends here
        pgconn.trace(trace.fileno())
        try:
            assert connection.is_usable()
        finally:
            pgconn.untrace()
        trace.seek(0)
        assert trace.read() == b""
    # The trace does see a real query, so the empty file above means something.
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            pgconn.untrace()
        trace.seek(0)
        assert b"SELECT 1" in trace.read()


def test_a_connection_the_server_closed_is_not_usable():
    connection.ensure_connection()
    _server_closes_it()
    assert not connection.is_usable()


def test_a_request_after_the_server_closed_the_connection_gets_a_new_one():
    connection.ensure_connection()
    old_pid = connection.connection.info.backend_pid
    _server_closes_it()
    connection.health_check_done = False  # as at the start of a request (close_old_connections)
    with connection.cursor() as cursor:  # the health check runs here, before the first query
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid


def test_a_connection_inside_a_transaction_is_not_reused():
    connection.ensure_connection()
    connection.connection.execute("BEGIN")
    try:
        assert not connection.is_usable()
    finally:
        connection.connection.execute("ROLLBACK")
    assert connection.is_usable()


def test_a_connection_with_anything_to_read_is_not_reused():
    """Between requests the server sends a connection nothing unless it is closing it; anything
    else (here a notification) costs one reconnection, and is not mistaken for a healthy socket."""
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("LISTEN langops_backend_test")  # (autocommit: Django's default outside atomic blocks)
    settings = connection.get_connection_params()
    with psycopg.connect(**{**settings, "autocommit": True}) as other:
        other.execute("NOTIFY langops_backend_test")
    poller = select.poll()
    poller.register(raw.pgconn.socket, select.POLLIN)
    assert poller.poll(5000)
    assert not connection.is_usable()
