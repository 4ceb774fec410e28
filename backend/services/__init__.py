"""Application services: each one owns its transaction and raises ``ServiceError`` refusals."""
