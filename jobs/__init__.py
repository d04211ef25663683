"""RQ adapters: queues, thin job functions and the worker entry point."""
