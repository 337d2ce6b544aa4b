"""`governance demo`: the whole product on one machine, in parts that each check what they show.

run.py           the parts in turn, on the local stack unless a cluster is given.
smoke.py         Kafka keeps transactions (committed records read back, aborted ones never).
registry_tour.py the governed schemas registered; Avro through Confluent's serializers.
generator.py     clickstream, orders and payments with known bad records, and the truth about each.
live.py          every pipeline in rules/ run as a sentinel over the generator's records, live.
"""
