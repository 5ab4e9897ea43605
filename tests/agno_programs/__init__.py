"""Typical Agno programs, run under Agno (``run_under_agno.py``) and, with their imports rewritten,
under agno_nb (``tests/test_agno_compat.py``)."""
