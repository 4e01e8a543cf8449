"""PostgreSQL login roles with chosen privileges, for permission tests on the test server.

Roles belong to the whole server, so each gets a unique name and is dropped afterwards with
everything granted to it (``DROP OWNED BY`` revokes its privileges in the database it ran in
and on the database itself).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_counter = itertools.count()

#: What docs/deployment.md, section 3 grants each role (tables that exist already).
VIEWER_GRANTS = ("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",)
WRITER_GRANTS = (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
)


@contextmanager
def login_role(admin_url: str, grants: Sequence[str] = ()) -> Iterator[str]:
    """A new login role with ``grants`` (``{role}`` is replaced by its name) in the database of
    ``admin_url``; yields the same URL with that role as the user."""
    role = f"wof_test_role_{os.getpid()}_{next(_counter)}"
    admin = create_engine(admin_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
            for grant in grants:
                conn.execute(text(grant.format(role=role)))
        yield make_url(admin_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
