"""``python -m whoseonfirst_service``: the same as the ``whoseonfirst-service`` command."""

from whoseonfirst_service.cli import main

raise SystemExit(main())
