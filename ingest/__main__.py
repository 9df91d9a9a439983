from ingest.cli import app

app(prog_name="python -m ingest")
