"""The domain: plain functions over a Session. No FastAPI here."""
