"""Input schemas shared by more than one edge (the API and the web UI load the same bodies, so
they refuse the same input with the same messages)."""
