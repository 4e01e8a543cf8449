"""``python -m whoseonfirst_service``: the same as the ``whoseonfirst-service`` command."""

from .cli import main

raise SystemExit(main())
