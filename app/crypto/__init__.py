"""Message and storage cryptography. Imports nothing else of KIX, nor FastAPI, nor the database."""
