"""The request path of the mock, in middleware order; handlers and the store sit below it."""
