"""The browser app (Gradio Blocks mounted on the FastAPI app)."""
