"""The article-qa web chat: pure formatting, the chat handler, and the Gradio UI.

The engine itself lives in :mod:`qa`, which knows nothing about Gradio; this package
turns its answers into HTML and Markdown and serves them (``python app.py``).
"""
