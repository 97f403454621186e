"""Text tasks for the benchmark: preference pairs and classification sets read through
`datasets`, turned into weak and strong feature arrays by real language models.

Nothing here is imported by the core until a text task is asked for, so the toy task
stays free of `transformers` and `datasets`.
"""
