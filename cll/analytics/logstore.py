"""The format of the access log's blocks (``AccessLogBlock``), and reading them back.

A block holds up to ``BLOCK_EVENTS`` requests of one local day. Repeated values (paths,
User-Agents, referrers, addresses...) are stored once per block in tables, and the requests
as columns of integers pointing into them — the way column stores keep logs: about ten times
smaller than one database row per request, and counted without decoding anything per request
(``Counter`` over ``zip`` of columns runs in C). docs/benchmarks.md has the figures.

A blob (``data`` and ``clickstream``) is zlib-compressed::

    b"CLL1" | header length (uint32, little-endian) | header (UTF-8 JSON) | columns

The header gives the format version, the number of rows, the columns' names and array type
codes (``array`` module, little-endian; "B", "H", "I", "Q" unsigned 8, 16, 32, 64-bit, "b",
"h", "q" signed) and the
tables. Only JSON and fixed-width integers: reading a block executes nothing.

``data``: header ``{"v", "rows", "columns", "types", "base" (time of the first request,
microseconds since the epoch), "methods", "paths", "languages", "agents" ([user agent,
browser, OS, is a bot]), "referrers" ([page without query, host or "" for ours]), "networks"
([network, country])}``; columns: time - base, method, path, status, duration (ms), address
(index in the block's ``ips`` column, a JSON list truncated after ``ACCESS_LOG_IP_DAYS``),
agent, language, referrer, network. Whether a request is a page view follows from
its method, status and path (``is_page_view``).

``clickstream`` (only when a request of the block consented): header ``{"v", "rows",
"columns", "types", "exits"}``; columns: row (index in ``data``), visitor hash, visit hash
(0: no session), exit link (-1: none).
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import sys
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import NamedTuple

FORMAT_VERSION = 1
MAGIC = b"CLL1"
# Requests per block at most (a batch of the ingester is split beyond it); under 2**16, so that
# table indices fit the 16-bit columns.
BLOCK_EVENTS = 10_000
# zlib's fastest level: the tables and integer columns already removed most repetition.
COMPRESSION_LEVEL = 1
# A block decompresses to about 30 bytes per request; anything far bigger is not one of ours.
MAX_DECOMPRESSED = 64 * 1024 * 1024
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# Table indices fit 16 bits: a block has at most BLOCK_EVENTS requests, so as many distinct
# values at most.
DATA_COLUMNS = (
    ("time", "q"),
    ("method", "H"),
    ("path", "H"),
    ("status", "H"),
    ("duration", "I"),
    ("address", "H"),
    ("agent", "H"),
    ("language", "H"),
    ("referrer", "H"),
    ("network", "H"),
)
CLICK_COLUMNS = (("row", "H"), ("visitor", "q"), ("visit", "q"), ("exit", "h"))
# Positions of a request's values in a row tuple (the order of DATA_COLUMNS).
TIME, METHOD, PATH, STATUS, DURATION, ADDRESS, AGENT, LANGUAGE, REFERRER, NETWORK = range(
    len(DATA_COLUMNS)
)
if [array(code).itemsize for code in "bBhHIqQ"] != [1, 1, 2, 2, 4, 8, 8]:  # pragma: no cover
    raise ImportError("the access-log block format needs 8-, 16-, 32- and 64-bit array types")
_SWAP = sys.byteorder != "little"


def is_page_view(method: str, status: int, path: str) -> bool:
    """A successful GET of a page — not of an exit redirect (``/<lang>/go/...``)."""
    return method == "GET" and 200 <= status < 300 and not path.startswith("/go/", 3)


class DamagedBlock(ValueError):
    """A blob that is not in the format above (never written by us)."""


def encode(
    header: dict, columns: Sequence[tuple[str, str]], values: Sequence[Sequence[int]]
) -> bytes:
    """One uncompressed blob: ``values`` holds one sequence of integers per column of
    ``columns`` (the access-log spool's files are these)."""
    header = {
        "v": FORMAT_VERSION,
        "columns": [name for name, _type in columns],
        "types": "".join(code for _name, code in columns),
        **header,
    }
    # ASCII: any character, even a lone surrogate from a broken header, survives as \uXXXX.
    encoded = json.dumps(header, separators=(",", ":")).encode("ascii")
    parts = [MAGIC, struct.pack("<I", len(encoded)), encoded]
    for (_name, code), column in zip(columns, values, strict=True):
        packed = column if isinstance(column, array) and column.typecode == code else None
        if packed is None or _SWAP:
            packed = array(code, column)
        if _SWAP:
            packed.byteswap()
        parts.append(packed.tobytes())
    return b"".join(parts)


def pack(
    header: dict, columns: Sequence[tuple[str, str]], values: Sequence[Sequence[int]]
) -> bytes:
    """One compressed blob (``data`` and ``clickstream`` of a block)."""
    return zlib.compress(encode(header, columns, values), COMPRESSION_LEVEL)


def decode(raw: bytes) -> tuple[dict, dict[str, array]]:
    """(header, {column name: array}) of an uncompressed blob, or DamagedBlock."""
    try:
        if raw[:4] != MAGIC:
            raise DamagedBlock("not an access-log blob")
        (length,) = struct.unpack_from("<I", raw, 4)
        header = json.loads(raw[8 : 8 + length])
        if not isinstance(header, dict) or header.get("v") != FORMAT_VERSION:
            raise DamagedBlock("unknown format")
        count, offset, columns = header["rows"], 8 + length, {}
        for name, code in zip(header["columns"], header["types"], strict=True):
            column = array(code)
            end = offset + count * column.itemsize
            column.frombytes(raw[offset:end])
            if len(column) != count:
                raise DamagedBlock("truncated column")
            if _SWAP:
                column.byteswap()
            columns[name] = column
            offset = end
        if offset != len(raw):
            raise DamagedBlock("trailing bytes")
    except (ValueError, KeyError, TypeError, struct.error, RecursionError) as exc:
        raise DamagedBlock(str(exc)[:200]) from exc
    return header, columns


def unpack(blob: bytes | memoryview | None) -> tuple[dict, dict[str, array]] | None:
    """(header, {column name: array}) of a compressed blob; None for an absent clickstream."""
    if blob is None:
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(bytes(blob), MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise DamagedBlock(str(exc)) from exc
    if inflater.unconsumed_tail:
        raise DamagedBlock("block too large")
    return decode(raw)


class LogRow(NamedTuple):
    """One request of the access log, as read back from a block (operations, tests)."""

    time_us: int
    method: str
    path: str
    status: int
    duration_ms: int
    ip: str
    user_agent: str
    browser: str
    os: str
    is_bot: bool
    language: str
    referrer: str
    referrer_host: str
    network: str
    country: str
    page_view: bool
    visitor: int | None
    visit: int | None
    exit_url: str

    @property
    def time(self) -> dt.datetime:
        """The request's time as an aware datetime (UTC), exact to the microsecond."""
        return EPOCH + dt.timedelta(microseconds=self.time_us)


def rows(block) -> Iterator[LogRow]:
    """Every request of ``block`` (an ``AccessLogBlock``), in the order they were written."""
    header, columns = unpack(block.data)
    ips = json.loads(block.ips)
    clicks: dict[int, tuple[int, int, int]] = {}
    exits: list[str] = []
    if clickstream := unpack(block.clickstream):
        click_header, click_columns = clickstream
        exits = click_header["exits"]
        clicks = {
            row: (visitor, visit, exit_index)
            for row, visitor, visit, exit_index in zip(
                *(click_columns[name] for name, _code in CLICK_COLUMNS), strict=True
            )
        }
    base = header["base"]
    methods, paths, languages = header["methods"], header["paths"], header["languages"]
    agents, referrers, networks = header["agents"], header["referrers"], header["networks"]
    for index, row in enumerate(zip(*(columns[name] for name, _code in DATA_COLUMNS), strict=True)):
        agent, browser, os_family, is_bot = agents[row[AGENT]]
        referrer, host = referrers[row[REFERRER]] if row[REFERRER] >= 0 else ("", "")
        network, country = networks[row[NETWORK]]
        visitor, visit, exit_index = clicks.get(index, (None, 0, -1))
        yield LogRow(
            base + row[TIME],
            methods[row[METHOD]],
            paths[row[PATH]],
            row[STATUS],
            row[DURATION],
            ips[row[ADDRESS]],
            agent,
            browser,
            os_family,
            bool(is_bot),
            languages[row[LANGUAGE]],
            referrer,
            host,
            network,
            country,
            is_page_view(methods[row[METHOD]], row[STATUS], paths[row[PATH]]),
            visitor,
            visit or None,
            exits[exit_index] if exit_index >= 0 else "",
        )
