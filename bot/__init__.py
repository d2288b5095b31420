"""Calx: the domain of the calcinosis history-taking assistant.

Knowledge, rules engine, NLP, storage and web app; Rasa actions call into it.
"""
