"""Calx: the domain of the calcinosis history-taking assistant (knowledge, engine, NLP, storage, web)."""
