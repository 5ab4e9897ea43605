"""Agno's ``agno.utils`` paths that user code imports: ``pprint`` (``pprint_run_response``) and ``log``."""
