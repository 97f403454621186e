"""One run, in rooms: `task` (the prepared task), `names` (a run's name), `options` (how
it is opened beside its config), `records` (the run's own rows in the store), `lifetime`
(its clock and the tasks it owns), `sandboxes` (each agent's sandbox spec, made, found
again, cleared) and `swarm` (the agents: spawn, restore, toolbox, stats).
`engine.runtime` assembles them into an `Engine`."""
