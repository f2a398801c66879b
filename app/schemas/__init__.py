"""Wire formats (pydantic), shared by the server and the SDK. Separate from the ORM models."""
