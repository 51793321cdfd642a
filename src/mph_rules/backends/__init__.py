"""Optional evaluation backends beside the pure engine (the reference and evaluator of record).

``mph_rules.backends.durable``: live case streams on durable-rules (extra ``mph-rules[durable]``).
Importing a backend module never needs its extra; creating a backend does, and says so plainly.
"""
