"""Who may deliver a digest run: across processes a lease in the ledger, within one process the runs in flight.

A lease (owner, until) keeps two clock processes from sending one run at once; it is renewed with every message
and taken over when it runs out or its owner is known dead. Within a process the lease says "mine" for a run
that is being delivered right now and for one whose delivery died (an error, a cancelled task) alike: only the
second may be resumed, so each process also remembers the runs it is delivering.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from core.app import App
from core.storage import ledger

LEASE = timedelta(minutes=10)
# The runs each App (by instance id) is delivering right now. Its lease on them is in use, not free: the tick
# resuming one of these would post it a second time, alongside the delivery still under way.
_in_flight: dict[str, set[int]] = {}


def _owner_gone(owner: str | None) -> bool:
    """True when a lease's owner was a process on this machine that no longer runs (killed, crashed): its
    lease need not run out before a restarted clock resumes the run. Instance ids are host:pid:random."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:30] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


async def acquire_lease(app: App, run_id: int) -> bool:
    """Take (or renew) the right to deliver a run; False while another live process holds it."""
    async with app.db.session() as session:
        owner = await ledger.lease_owner(session, run_id)
        dead = owner if owner and owner != app.instance_id and _owner_gone(owner) else None
        taken = await ledger.take_lease(session, run_id, app.instance_id, LEASE, from_dead_owner=dead)
        await session.commit()
    return taken


def delivering(app: App) -> set[int]:
    """The runs this process is delivering right now."""
    return _in_flight.setdefault(app.instance_id, set())


@contextmanager
def delivery_of(app: App, run_id: int) -> Iterator[bool]:
    """Count a run as being delivered by this process for the block; False (nothing counted) if it already is."""
    runs = delivering(app)
    if run_id in runs:
        yield False
        return
    runs.add(run_id)
    try:
        yield True
    finally:
        runs.discard(run_id)
