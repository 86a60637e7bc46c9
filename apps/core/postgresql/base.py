"""Django's PostgreSQL backend, with a health check that sends no query.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection before each request uses it.
Its check is a `SELECT 1`: one round trip per request, about 0.3 ms of CPU between client and
server here, on every ingestion request. Between requests a connection is idle, and the server
sends an idle connection nothing unless it is closing it (restart, idle timeout,
`pg_terminate_backend`, a crash: its termination notice, then end of file). So the check looks at
the socket instead: a connection with anything to read is not reused. The rare other messages
(a notification on a channel nobody here listens to, a reported setting changed by a reload)
cost one reconnection.

What the socket cannot show, a peer that vanished without a word, makes the first query fail as
it would have without health checks: the write path answers 503 and the SDK retries, and Django
closes the connection at the end of that request.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq

_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            socket = pgconn.socket
        except psycopg.Error:  # libpq has no socket for it any more
            return False
        poller = select.poll()
        poller.register(socket, _READABLE)
        return not poller.poll(0)
