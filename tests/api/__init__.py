"""Tests of the engine's HTTP API, its client, TARGETs, the ssh tunnel and aar serve/attach/ctl."""
