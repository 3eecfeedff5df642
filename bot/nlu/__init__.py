"""Code the Rasa engine itself loads (runs in .venv-rasa, Python 3.10): keep it small, Rasa-only imports."""
