"""Conditional GET: a reader who already has the page gets a bodyless 304 instead of it again.

The ETag is a hash of the body, so it is right by construction whatever the page depends on
(language, agenda, speakers). Last-Modified comes from the data's own change time, for clients that
only send If-Modified-Since; when both are sent, werkzeug lets If-None-Match decide (RFC 9110 13.2.2).
"""

from datetime import datetime

from flask import Response, request

from forums.web.compression import KeptBody, KeptResponse


def conditional_response(body: str | bytes | KeptBody, *, mimetype: str,
                         last_modified: datetime | None = None) -> Response:
    """A 200 with ETag and Last-Modified, or a 304 when the client's copy is still current.

    A ``KeptBody`` (a kept page) brings its hash, and its gzip for ``forums.web.compression``, made once.
    """
    kept = body if isinstance(body, KeptBody) else KeptBody(body)
    response = KeptResponse(kept, mimetype=mimetype)
    response.set_etag(kept.etag)
    if last_modified is not None:
        # HTTP dates have whole seconds; a fraction would make every If-Modified-Since look older.
        response.last_modified = last_modified.replace(microsecond=0)
    # Written as the header values (the response is new: nothing to merge with), not through werkzeug's
    # parsed Cache-Control and Vary objects, which parse and re-serialise them on every response.
    # Revalidate every time: a 304 costs a few bytes, a stale agenda costs a missed meeting.
    response.headers["Cache-Control"] = "no-cache"
    # The same address shows another language (cookie or browser) or, for staff, more links.
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.make_conditional(request)  # in place; werkzeug's return type would lose flask's Response
    return response
