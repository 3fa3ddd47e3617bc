"""`ocop`, the operator CLI: status, dead letters, events, streams and migrations of a running
platform (see `cli.py`; `ocop --help`)."""
