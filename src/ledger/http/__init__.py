"""The HTTP edge: routes, authentication and the mapping of every error to problem+json."""
