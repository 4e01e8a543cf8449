"""Reliability drills: ``python -m chaos [--quick] [--only DRILL ...]`` (issue 7).

Each drill attacks one promise of the delivery contract (SPEC §4) with real processes, a real
PostgreSQL server, the real SQLite file and the fake Twilio server from ``tests/fakes`` — kills
at every point of a send, the daemon SIGKILLed and restarted around due instants, two daemons
racing, a database outage, a Twilio outage, six years of DST changes, hostile input — and
counts the texts: expected, received, duplicated, missed. The runner prints one table and exits
non-zero on any loss, duplicate or broken invariant.

Modules: ``common`` (the result record, the shared run context, rosters, service processes,
text accounting), one module per drill, and ``__main__`` (the runner).
"""
