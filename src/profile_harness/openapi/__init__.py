"""The bundled OpenAPI description: loading, the operation index, linting, conformance."""
