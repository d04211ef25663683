"""Input schemas and rules that more than one edge uses (the API, the UI, the CLI): they live
below the edges so that none of them imports another to validate the same input."""
