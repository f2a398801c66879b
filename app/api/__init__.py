"""HTTP only: routers, dependencies, the signed and encrypted channel, problem+json."""
