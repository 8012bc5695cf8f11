//! Unit tests of the sync client that need no server.
