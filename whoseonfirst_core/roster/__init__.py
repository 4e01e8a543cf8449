"""The roster file (SPEC §7): validate, import (one transaction) and export.

A bad file fails with a message naming the field and the reason, whatever the database holds,
and changes nothing. Export writes the same bytes for the same team, so export → import into an
empty database → export gives the same file.

- :mod:`.model`: the file's model and :func:`parse_roster` (every problem in one go);
- :mod:`.importer`: :func:`import_roster_data`, into an empty database or ``replace``;
- :mod:`.exporter`: :func:`export_roster_data`, :func:`dumps_roster`, :func:`write_roster_file`;
- :mod:`.demo`: the demo team, a roster file shipped with the package.
"""

from __future__ import annotations

from whoseonfirst_core.roster.demo import create_demo_team, demo_roster
from whoseonfirst_core.roster.exporter import dumps_roster, export_roster_data, write_roster_file
from whoseonfirst_core.roster.importer import import_roster_data
from whoseonfirst_core.roster.model import FORMAT, VERSION, RosterError, RosterIn, parse_roster

__all__ = [
    "FORMAT",
    "VERSION",
    "RosterError",
    "RosterIn",
    "create_demo_team",
    "demo_roster",
    "dumps_roster",
    "export_roster_data",
    "import_roster_data",
    "parse_roster",
    "write_roster_file",
]
