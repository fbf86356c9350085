"""What the HTTP layer knows of the read models, wherever their projectors run.

An API process projects nothing: the read models are built by projector processes
(``ledger project``) into PostgreSQL, and an API process learns from PostgreSQL alone which
tables are live, how far each projection has got (for ``min_position`` and the
``X-Ledger-Position`` header), how its projectors fare (``GET /v1/projections``) and whether
they have caught up (``/readyz``). ``ReadModels`` is that knowledge; ``DatabaseReadModels``
keeps it current from the database with one LISTEN connection per process.
"""

from ledger.readmodels.database import DatabaseReadModels
from ledger.readmodels.port import ProcessStatus, ProjectorStatus, Readiness, ReadModels

__all__ = ["DatabaseReadModels", "ProcessStatus", "ProjectorStatus", "ReadModels", "Readiness"]
