"""The Python SDK: signs, encrypts, verifies and decrypts every call. Imports no server code."""

from app.client.client import AsyncKixClient, KixClient
from app.client.codec import KixProblem, ResponseVerificationError, ServerKeysError, load_server_keys_file
from app.client.webhooks import WebhookRejected, verify_webhook

__all__ = [
    "AsyncKixClient",
    "KixClient",
    "KixProblem",
    "ResponseVerificationError",
    "ServerKeysError",
    "WebhookRejected",
    "load_server_keys_file",
    "verify_webhook",
]
