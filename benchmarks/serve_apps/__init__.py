"""Apps the serving benchmark starts with uvicorn (one worker each); configured by environment variables."""
