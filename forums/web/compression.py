"""Gzip for text responses: participants on slow mobile links pay for every byte.

Responses of a text type above ``COMPRESS_MIN_SIZE`` bytes are gzipped when the client accepts gzip,
including static CSS and JavaScript. Such responses always say ``Vary: Accept-Encoding`` so a shared
cache never hands the compressed body to a client that cannot read it. A strong ETag becomes weak
once the body is compressed (as nginx does): the bytes differ, the meaning does not, and conditional
requests compare ETags weakly anyway.
"""

import gzip
import hashlib
from typing import Any

from flask import Flask, Response, request

COMPRESSIBLE_TYPES = frozenset({
    "text/html", "text/css", "text/plain", "text/calendar", "text/csv", "text/javascript",
    "application/javascript", "application/json", "application/xml", "image/svg+xml",
})
COMPRESS_MIN_SIZE = 500
#: level 6 is zlib's usual trade: nearly the size of 9 at a fraction of the CPU
COMPRESS_LEVEL = 6


def _is_compressible(response: Response) -> bool:
    return response.mimetype in COMPRESSIBLE_TYPES


def gzip_bytes(body: bytes) -> bytes:
    """``body`` gzipped as every response is (level, no timestamp: the same bytes give the same gzip)."""
    return gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0)


class KeptBody:
    """The bytes of a body answered many times unchanged (a kept page or report), with their hash and gzip.

    Both are made once, on first use, instead of once per response: ``compress_response`` takes the
    gzip from here when a ``KeptResponse`` still carries these very bytes, after deciding as for any
    response whether to compress at all. Making them twice in two threads at once is harmless.
    """

    __slots__ = ("data", "_etag", "_gzipped")

    def __init__(self, body: str | bytes) -> None:
        self.data = body.encode() if isinstance(body, str) else body
        self._etag: str | None = None
        self._gzipped: bytes | None = None

    @property
    def etag(self) -> str:
        """A strong ETag of the bytes (a hash: right by construction, whatever they depend on)."""
        if self._etag is None:
            self._etag = hashlib.sha256(self.data).hexdigest()[:32]
        return self._etag

    def gzipped(self) -> bytes:
        """The bytes as ``gzip_bytes`` makes them."""
        if self._gzipped is None:
            self._gzipped = gzip_bytes(self.data)
        return self._gzipped


class KeptResponse(Response):
    """A response whose body is a ``KeptBody``'s bytes, so the after-request hooks can reuse its gzip."""

    def __init__(self, kept: KeptBody, **kwargs: Any) -> None:
        super().__init__(kept.data, **kwargs)
        self.kept_body = kept


def compress_response(response: Response) -> Response:
    """Gzip ``response`` in place when the client accepts it and it is worth it."""
    # A generator streams on purpose (large exports); only file wrappers are read whole.
    is_generated_stream = response.is_streamed and not response.direct_passthrough
    if not _is_compressible(response) or response.status_code != 200 or is_generated_stream:
        return response
    response.vary.add("Accept-Encoding")
    if "Content-Encoding" in response.headers or not request.accept_encodings["gzip"]:
        return response
    # Static files come as a file wrapper; reading them here is fine for our small CSS and JS.
    response.direct_passthrough = False
    body = response.get_data()
    if len(body) < COMPRESS_MIN_SIZE:
        return response
    kept = response.kept_body if isinstance(response, KeptResponse) else None
    response.set_data(kept.gzipped() if kept is not None and kept.data == body else gzip_bytes(body))
    response.headers["Content-Encoding"] = "gzip"
    etag, is_weak = response.get_etag()
    if etag and not is_weak:
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    """Compress every eligible response."""
    app.after_request(compress_response)
