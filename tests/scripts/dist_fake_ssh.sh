#!/bin/sh
# Stands in for ssh in tests/test_distributed.py's two-node launch on one machine: drops ssh's options, writes the
# host name to $EMBER_TEST_SSH_LOG, and runs the remote command (Open MPI's daemon for that node) here.
while [ "${1#-}" != "$1" ]; do shift; done
echo "$1" >> "$EMBER_TEST_SSH_LOG"
shift
exec /bin/sh -c "$*"
