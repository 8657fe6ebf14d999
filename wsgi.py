"""WSGI entry point for gunicorn: gunicorn wsgi:app."""

from kiosk import create_app

app = create_app()
