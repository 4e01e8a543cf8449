"""The bundle's entry script: the admin app, or the bundle's self-test.

PyInstaller freezes this file as the executable's ``__main__``. It calls the console-script
entry point (``whoseonfirst_gui.app:main``) with the command line as it is, so the app is
imported as a package exactly as in a pip install and parses its own arguments
(``--database``, ``--screenshots``, ``--help``).

With ``WHOSEONFIRST_BUNDLE_SELFTEST=1`` in the environment it runs
:func:`installer.bundle.selftest.main` instead and exits with its status; any other value, or
none, starts the app. The switch is an environment variable rather than an option so that the
app's command line stays exactly the app's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the self-test or the app; ``argv`` without the program name (default: the real
    command line), ``environ`` defaults to the process environment."""
    env = os.environ if environ is None else environ
    from installer.bundle.config import SELFTEST_ENV

    if env.get(SELFTEST_ENV) == "1":
        from installer.bundle import selftest

        return selftest.main()
    from whoseonfirst_gui import app

    return app.main(argv)


if __name__ == "__main__":
    sys.exit(main())
