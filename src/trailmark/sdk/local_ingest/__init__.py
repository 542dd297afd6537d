"""Local ingest: how a run that logs to a data dir gets its records into the store there.

A run's sender thread never writes the store itself: it hands spool batches to another
process (see :mod:`.worker` for why), over the frames of :mod:`.framing`:

- :mod:`.transport`: :class:`~.transport.WorkerTransport`, the sender's side, talking to
  the user's shared ingest service or else to a child worker of its own;
- :mod:`.service`: the shared, long-lived ingest service (one per user and code version);
- :mod:`.adopt`: ``finish()`` handing a spool to the service, and readers waiting for it;
- :mod:`.worker`: what applies frames to the store, in the service or in a child worker;
- :mod:`.framing`: the frames and answers they exchange.

Imports run one way, with no cycle: transport -> adopt -> service, framing; service ->
worker -> framing -> :mod:`trailmark.sdk.transports` (the Transport protocol,
``LocalTransport`` and the error classes), which imports nothing from here. This file
imports nothing, so that starting the service loads no more than it needs before it
listens.
"""
