"""The ASGI entry point uvicorn workers import: settings from the environment (KIX_*)."""

from app.collector import settle
from app.config import Settings
from app.main import create_app

app = create_app(Settings())
settle()  # what the worker has loaded lives as long as it does: out of the garbage collector's walks
