"""The Python SDK: signs, encrypts, verifies and decrypts every call. Imports no server code."""

from app.client.client import AsyncKixClient, KixClient
from app.client.codec import KixProblem, ResponseVerificationError, ServerKeysError, load_server_keys_file

__all__ = [
    "AsyncKixClient",
    "KixClient",
    "KixProblem",
    "ResponseVerificationError",
    "ServerKeysError",
    "load_server_keys_file",
]
