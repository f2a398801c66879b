"""The ASGI entry point uvicorn workers import: settings from the environment (KIX_*)."""

from app.config import Settings
from app.main import create_app

app = create_app(Settings())
