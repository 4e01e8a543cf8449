"""``python -m whoseonfirst_service.cli``: the same as the ``whoseonfirst-service`` command."""

from . import main

raise SystemExit(main())
