"""Entry point for gunicorn: ``gunicorn wsgi:app``. Configuration comes from the environment."""

from app import create_app

app = create_app()
