"""Tracing with OpenTelemetry: spans of a command from HTTP through the writer to the projectors.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set
(``setup``): then each process exports its spans over OTLP and the instrumentations of aiohttp
(server and client) and asyncpg feed the same tracer provider. Off, no tracer provider exists,
nothing is instrumented, and the engine's own spans (``spans``) cost a call per batch.

A command's trace crosses the log in its events' ``traceparent`` (``ledger.cloudevents``),
which a projector's batch span links to.

The SDK is imported by ``setup`` alone, which only the entry points of the roles import.
"""
