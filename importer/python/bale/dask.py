"""Dask: every worker imports the app from one bale, which each node fetches once.

    from bale.dask import BalePlugin
    client.register_plugin(BalePlugin("app.bale"))

The plugin goes to the scheduler, with the bale's bytes: they cross the network once
to get there. The scheduler installs the bale itself (it may need the app's types to
deserialise what tasks send it), and registers a small worker plugin, which Dask runs
in every worker, including workers that join later. That plugin carries the bale's
header hash alone; a worker looks for the bale in its node's store (`bale._node`, in
the parent of its local directory, which the workers of a node share), and the first
worker of a node to need it fetches it from the scheduler, while the others of that
node wait and then use the same file. Each worker installs the stored file
memory-mapped, so the workers of a node share its pages; nothing is extracted but the
native code, into the per-user native cache.

A bale for another Python or platform than a worker's is refused by that worker
before any task runs, and `register_plugin` raises with the worker's message.
"""

import os

from distributed.diagnostics.plugin import SchedulerPlugin, WorkerPlugin
from distributed.protocol.serialize import to_serialize

from . import _node
from .bale import BaleError, check, host_target, install


class BalePlugin(SchedulerPlugin):
    """Installs the bale at `bale` (a path) in the scheduler and in every worker, and
    its rest bale with it: `rest=True` for the one `bale pack --rest` wrote beside it,
    a path for another. `store`: the node store's folder, for workers whose local
    directories are not on the node's own disk (default: `bale` beside each worker's
    local directory)."""

    idempotent = True

    def __init__(self, bale, *, rest=None, store=None):
        self.source = os.fspath(bale)
        with open(self.source, "rb") as f:
            self.data = f.read()
        try:
            self.digest = check(self.data)
        except BaleError as e:
            raise BaleError(f"{self.source}: {e}") from None
        self.target = _node.target_of(self.data)
        self.rest = None
        if rest:
            path = _node.rest_path(self.source) if rest is True else os.fspath(rest)
            with open(path, "rb") as f:
                self.rest = (path, f.read())
            self.rest_digest = check(self.rest[1])
        self.store = store
        self.name = f"bale-{self.digest}"

    async def start(self, scheduler):
        """On the scheduler: serve the bale to workers, install it here, then in every
        worker; a worker that cannot install it makes this raise, naming it."""
        scheduler.handlers[f"bale_fetch_{self.digest}"] = self._serve
        self.finder = _install_here(self.source, self.target, self.data, self.rest and self.rest[1])
        worker = _Worker(self.source, self.digest, self.target, self.rest_digest if self.rest else None, self.store)
        from distributed.protocol.pickle import dumps

        replies = await scheduler.register_worker_plugin(None, dumps(worker), name=self.name, idempotent=False)
        failed = {address: reply for address, reply in replies.items() if reply.get("status") != "OK"}
        if failed:
            # Withdrawn, so that no worker joining later tries again.
            await scheduler.unregister_worker_plugin(None, self.name)
            address, reply = next(iter(failed.items()))
            raise BaleError(f"{self.source} could not be installed in {len(failed)} worker(s); {address}: "
                            f"{_said(reply)}")

    def _serve(self, comm, which):
        """The bale's bytes (or its rest bale's), for a worker of a node without them."""
        return to_serialize(self.data if which == "bale" else self.rest[1])

    async def close(self):
        self.data = self.rest = None


class _Worker(WorkerPlugin):
    """In each worker: the bale from its node's store, installed."""

    def __init__(self, source, digest, target, rest_digest, store):
        self.source, self.digest, self.target = source, digest, target
        self.rest_digest, self.store = rest_digest, store
        self.finder = None

    async def setup(self, worker):
        here = host_target()
        if self.target != here:
            raise BaleError(f"{self.source} is a bale for {self.target}; this worker runs {here}: "
                            f"pack it with the workers' Python")
        root = self.store or os.path.join(os.path.dirname(os.path.abspath(worker.local_directory)), "bale")
        bale = await self._stored(worker, root, self.digest, "bale")
        rest = await self._stored(worker, root, self.rest_digest, "rest") if self.rest_digest else False
        self.finder = install(bale, rest=rest)

    async def _stored(self, worker, root, digest, which):
        # The fetch runs on the worker's event loop; the wait for the node's lock and
        # the file's check run in a thread, so the worker keeps answering meanwhile.
        import asyncio

        loop = asyncio.get_running_loop()
        call = getattr(worker.scheduler, f"bale_fetch_{self.digest}")

        def fetch():
            return asyncio.run_coroutine_threadsafe(call(which=which), loop).result()

        name = self.source if which == "bale" else f"{self.source}'s rest bale"
        return await loop.run_in_executor(None, lambda: _node.obtain(root, digest, fetch, name=name))

    def teardown(self, worker):
        if self.finder is not None:
            self.finder.uninstall()


def _said(reply):
    """What a worker's failed reply says: its exception's message, not its repr."""
    import ast
    import re

    text = reply.get("exception_text") or reply.get("text") or str(reply)
    one = re.fullmatch(r"\w+\((.*)\)", text, re.S)
    try:
        message = ast.literal_eval(one.group(1)) if one else text
    except (ValueError, SyntaxError):
        return text
    return message if isinstance(message, str) else text


def _install_here(source, target, data, rest):
    """The bale installed in this process (the scheduler), from its bytes; an
    interpreter of another target leaves it out, saying why in the scheduler's log."""
    if target != host_target():
        import logging

        logging.getLogger("distributed.scheduler").warning(
            "bale: %s is for %s, the scheduler runs %s: not installed in the scheduler", source, target, host_target())
        return None
    return install(data, path=f"/bale/{os.path.basename(source)}", rest=rest if rest else False)

