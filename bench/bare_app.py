"""The baseline: a bare Flask app returning a short string, served under the same gunicorn settings."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """A short string."""
    return "Hello, Dushanbe!"
