"""The SQL functions whose spelling differs between engines, behind one small interface.

The translators build the same predicates for every dialect; only these functions are spelled
differently. ``ATHENA`` (engine v3, Trino SQL) is what the commands print; ``DUCKDB`` renders the
same predicates for DuckDB, so that the tests can run them over real CloudTrail records and
compare the rows with what trailguard's engines match.
"""

from __future__ import annotations

import re

from trailguard.athena import _sql

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX_LIKE = re.compile(r"[+]?[0-9]+")
NUMBER_FIRST = ("-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9")


class Athena:
    """Athena engine v3: Trino SQL.

    https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html
    https://trino.io/docs/current/functions/json.html
    """

    name = "athena"

    def json_extract(self, value: str, path: str) -> str:
        """The JSON value at a JSONPath (``$.a.b[0]``), NULL when absent; a JSON null stays JSON.

        https://trino.io/docs/current/functions/json.html#json-extract
        """
        return f"json_extract({value}, {_sql.string(path)})"

    def json_member(self, key: str) -> str | None:
        r"""A JSONPath step reading ``key`` of an object; None when no path reads just that key.

        Trino reads ``$.name`` for plain names and ``$["any key"]`` (``\"`` and ``\\``
        escaped) for others. A key that is an unsigned integer would also read an array's
        element at that index, so it has no path.
        https://github.com/trinodb/trino/blob/master/core/trino-main/src/main/java/io/trino/operator/scalar/JsonPathTokenizer.java
        """
        if _INDEX_LIKE.fullmatch(key) or not key:
            return None
        if _PLAIN_KEY.fullmatch(key):
            return f".{key}"
        escaped = key.replace("\\", "\\\\").replace('"', '\\"')
        return f'["{escaped}"]'

    def is_array(self, value: str) -> str:
        """Whether a JSON value is an array.

        https://trino.io/docs/current/functions/json.html#json-array-length
        """
        return f"json_array_length({value}) IS NOT NULL"

    def _json_type(self, value: str) -> str:
        # The first character of the JSON text names its type: " t f n [ { or a number.
        # https://trino.io/docs/current/functions/json.html#json-format
        return f"substr(json_format({value}), 1, 1)"

    def is_string(self, value: str) -> str:
        """Whether a JSON value is a string."""
        return f"{self._json_type(value)} = '\"'"

    def is_number(self, value: str) -> str:
        """Whether a JSON value is a number."""
        return f"{self._json_type(value)} IN {_sql.strings(NUMBER_FIRST)}"

    def is_scalar(self, value: str) -> str:
        """Whether a JSON value is a leaf: not an array, not an object."""
        return f"{self._json_type(value)} NOT IN ('[', '{{')"

    def json_literal_in(self, value: str, literals: list[str]) -> str:
        """Whether a JSON value is one of ``true``, ``false``, ``null``."""
        return f"json_format({value}) IN {_sql.strings(literals)}"

    def as_text(self, value: str) -> str:
        """The string of a JSON string value.

        TRY_CAST: SQL may evaluate it before the type test that guards it, and an array or an
        object does not cast. https://trino.io/docs/current/functions/json.html#cast-from-json
        """
        return f"TRY_CAST({value} AS VARCHAR)"

    def as_double(self, value: str) -> str:
        """The number of a JSON number value (TRY_CAST, as ``as_text``)."""
        return f"TRY_CAST({value} AS DOUBLE)"

    def elements(self, value: str) -> str:
        """The elements of a JSON array as an array of JSON; NULL for anything else.

        https://trino.io/docs/current/functions/conversion.html#try-cast
        """
        return f"TRY_CAST({value} AS ARRAY(JSON))"

    def any_match(self, array: str, variable: str, predicate: str) -> str:
        """Whether the predicate holds for some element.

        https://trino.io/docs/current/functions/array.html#any_match
        """
        return f"any_match({array}, {variable} -> {predicate})"

    def regexp_like(self, value: str, regex: str) -> str:
        """Whether the (Java-syntax) regex matches somewhere in the value.

        https://trino.io/docs/current/functions/regexp.html#regexp_like
        """
        return f"regexp_like({value}, {_sql.string(regex)})"

    def last_part(self, value: str, separator: str) -> str:
        """What follows the last ``separator`` (a plain string)."""
        return f"element_at(split({value}, {_sql.string(separator)}), -1)"

    def last_part_regex(self, value: str, regex: str) -> str:
        """What follows the last match of ``regex``."""
        return f"element_at(regexp_split({value}, {_sql.string(regex)}), -1)"

    def in_network(self, value: str, network: str) -> str:
        """Whether the text is an IP address inside the CIDR network.

        https://trino.io/docs/current/functions/ipaddress.html#contains
        """
        return f"contains({_sql.string(network)}, TRY_CAST({value} AS IPADDRESS))"


class DuckDB(Athena):
    """DuckDB (its JSON extension): used by the tests to execute the predicates."""

    name = "duckdb"

    def json_member(self, key: str) -> str | None:
        """As ``Athena.json_member``, in DuckDB (``$."any key"``)."""
        if _INDEX_LIKE.fullmatch(key) or not key or '"' in key or "\\" in key:
            return None
        return f".{key}" if _PLAIN_KEY.fullmatch(key) else f'."{key}"'

    def is_array(self, value: str) -> str:
        """As ``Athena.is_array``, in DuckDB."""
        return f"json_type({value}) = 'ARRAY'"

    def _json_type(self, value: str) -> str:
        return f"json_type({value})"

    def is_string(self, value: str) -> str:
        """As ``Athena.is_string``, in DuckDB."""
        return f"json_type({value}) = 'VARCHAR'"

    def is_number(self, value: str) -> str:
        """As ``Athena.is_number``, in DuckDB."""
        return f"json_type({value}) IN ('BIGINT', 'DOUBLE', 'UBIGINT', 'HUGEINT')"

    def is_scalar(self, value: str) -> str:
        """As ``Athena.is_scalar``, in DuckDB."""
        return f"json_type({value}) NOT IN ('ARRAY', 'OBJECT')"

    def json_literal_in(self, value: str, literals: list[str]) -> str:
        """As ``Athena.json_literal_in``, in DuckDB."""
        return f"CAST({value} AS VARCHAR) IN {_sql.strings(literals)}"

    def as_text(self, value: str) -> str:
        """As ``Athena.as_text``, in DuckDB."""
        return f"json_extract_string({value}, '$')"

    def elements(self, value: str) -> str:
        """As ``Athena.elements``, in DuckDB."""
        return f"(CASE WHEN json_type({value}) = 'ARRAY' THEN CAST({value} AS JSON[]) END)"

    def any_match(self, array: str, variable: str, predicate: str) -> str:
        """As ``Athena.any_match``, in DuckDB."""
        keep = f"list_filter({array}, lambda {variable}: COALESCE({predicate}, FALSE))"
        return f"(len({keep}) > 0)"

    def regexp_like(self, value: str, regex: str) -> str:
        """As ``Athena.regexp_like``, in DuckDB."""
        return f"regexp_matches({value}, {_sql.string(regex)})"

    def last_part(self, value: str, separator: str) -> str:
        """As ``Athena.last_part``, in DuckDB."""
        return f"list_extract(string_split({value}, {_sql.string(separator)}), -1)"

    def last_part_regex(self, value: str, regex: str) -> str:
        """As ``Athena.last_part_regex``, in DuckDB."""
        return f"list_extract(regexp_split_to_array({value}, {_sql.string(regex)}), -1)"

    def in_network(self, value: str, network: str) -> str:
        """As ``Athena.in_network``, in DuckDB."""
        raise NotImplementedError("IP networks need DuckDB's inet extension")


Dialect = Athena
ATHENA = Athena()
DUCKDB = DuckDB()
