"""Text tasks for the benchmark: preference pairs and classification sets read through
`datasets`, turned into weak and strong feature arrays by real language models.

Importing this package registers its tasks (see `w2s.text.tasks`); heavy libraries
(`datasets`, `transformers`, scikit-learn) are imported only when a task is built.
"""

from w2s.text import tasks as _tasks  # noqa: F401  (registers the text tasks)
