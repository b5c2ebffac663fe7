"""The runner: the steps of an issue (plan, process pages, publish, index, verify) and the
scheduler of many issues, written once; the CLI, the DAG tasks, the dead-letter replay and the
demo all call it."""
