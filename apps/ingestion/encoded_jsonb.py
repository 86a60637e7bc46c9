"""The psycopg dumper the writer's binary COPY uses for JSON it has encoded itself.

A module of its own: the writer is compiled by mypyc (langops/compiled.py), and a compiled class
cannot carry the class attributes psycopg reads from a dumper (`format`, `oid`).
"""

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format


class EncodedJsonb(Dumper):
    """jsonb in binary COPY from JSON already encoded as bytes: the format's version byte, then the text."""

    format = Format.BINARY
    oid = psycopg.adapters.types["jsonb"].oid

    def dump(self, obj: bytes) -> bytes:
        return b"\x01" + obj
