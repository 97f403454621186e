"""The weak-to-strong benchmark: tasks, models, losses, methods, PGR, the grader and the bundle.

Where things are:
- `w2s.tasks`: the data shapes (`Split`, `TaskData`, `Task`) and the registry of versioned
  tasks (`get_task`, `list_tasks`, `register_task`); `w2s.tasks.toy` is the built-in task.
  A new task registers a `Task` with its own weak supervisor and strong model builder.
- `w2s.train`, `w2s.losses`: the one training core and the transfer losses.
- `w2s.methods`: the method config (`parse_method_config`, `describe_fields`) and
  `w2s.methods.transfer.transfer`, which trains a student with it.
- `w2s.baselines`, `w2s.cache`: weak and ceiling baselines, cached by digest.
- `w2s.prepare`, `w2s.bundle`, `w2s.hidden`: a prepared task's agent bundle and hidden side.
- `w2s.grader`: predictions to accuracy and PGR on the public and private halves.
- `python -m w2s run` (`w2s.runner`): what an agent runs in its sandbox.

This package imports nothing else of the project; importing it does not import torch.
"""
