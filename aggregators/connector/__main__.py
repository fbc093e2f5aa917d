"""``python -m aggregators.connector FILE...``: validate connector files."""

from .cli import main

raise SystemExit(main())
