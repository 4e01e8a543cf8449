"""Errors a use case raises for people to read: what happened and what to do."""

from __future__ import annotations


class UseCaseError(ValueError):
    """Bad input or a refused action the user can fix; nothing was changed."""


class NotFoundError(UseCaseError):
    pass


class NoTeamError(NotFoundError):
    """The database has no team yet (a new install): pages show their empty state instead."""

    def __init__(
        self,
        message: str = (
            "this database has no team yet: create one, load the demo team, or import a roster"
        ),
    ) -> None:
        super().__init__(message)


class ConflictError(UseCaseError):
    """Someone else saved a newer version first; ``conflicts`` lists what they changed.

    ``mine`` and ``theirs``: the version being saved and the one in the database, a line per
    item, for a side-by-side review (empty: not given)."""

    def __init__(
        self,
        message: str,
        conflicts: list[str] | None = None,
        *,
        mine: tuple[str, ...] = (),
        theirs: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.conflicts = conflicts or []
        self.mine = mine
        self.theirs = theirs


class ReadOnlyError(UseCaseError):
    """The database refuses writes (for example a viewer role in PostgreSQL)."""


class AmbiguousNameError(UseCaseError):
    """A name given to find someone matches several people; ``matches`` are their names."""

    def __init__(self, given: str, matches: list[str]) -> None:
        super().__init__(
            f"{given!r} matches several members ({', '.join(matches)}); be more specific"
        )
        self.matches = matches
