"""Measuring Calx on blind test sets: ``make eval-nlu``, ``eval-emergencies``, ``eval-cases``.

Each batch in ``tests/data/`` is scored before any change made after seeing it; that first
score is kept with its date in ``tests/data/scores.yaml`` (:mod:`evals.record`) and printed
beside the current one.
"""
