"""Static files with a content hash in their URL, so browsers may cache them for a year."""

import hashlib
from pathlib import Path

from flask import Flask, Response, request, url_for


def _fingerprints(static_folder: str) -> dict[str, str]:
    root = Path(static_folder)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in root.rglob("*") if path.is_file()
    }


def init_app(app: Flask) -> None:
    """Add ``asset_url`` to templates and long cache headers to fingerprinted files."""
    fingerprints = _fingerprints(app.static_folder or "static")

    def asset_url(filename: str) -> str:
        return url_for("static", filename=filename, v=fingerprints.get(filename, "0"))

    def cache_fingerprinted(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
        return response

    app.jinja_env.globals["asset_url"] = asset_url
    app.after_request(cache_fingerprinted)
