"""``python -m ledger <command>``: how ``ledger serve`` starts its children, so that ``ps``
shows each one's role (``... -m ledger writer``)."""

from ledger.cli import main

raise SystemExit(main())
