"""Pure decision logic. No Django, no I/O, no clock reads: facts and ``now`` in, decisions out."""
