"""Gzip for text responses: participants on slow mobile links pay for every byte.

Responses of a text type above ``COMPRESS_MIN_SIZE`` bytes are gzipped when the client accepts gzip,
including static CSS and JavaScript. Such responses always say ``Vary: Accept-Encoding`` so a shared
cache never hands the compressed body to a client that cannot read it. A strong ETag becomes weak
once the body is compressed (as nginx does): the bytes differ, the meaning does not, and conditional
requests compare ETags weakly anyway.
"""

import gzip

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
    response.set_data(gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, is_weak = response.get_etag()
    if etag and not is_weak:
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    """Compress every eligible response."""
    app.after_request(compress_response)
