"""The HTTP API (FastAPI); the Gradio UI is mounted on the same app."""
