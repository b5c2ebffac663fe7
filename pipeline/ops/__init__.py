"""Operator tools over what the pipeline produced: the per-issue ledger, the static report,
Kibana's saved objects. They read the staging area, the topics and the index; the pipeline
never imports them."""
